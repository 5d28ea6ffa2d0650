package dev.registerservice.transport;

import io.netty.handler.codec.DateFormatter;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.Date;

/**
 * The {@code Date} header's value for every response of a traffic connection (RFC 9110 section 6.6.1: an origin
 * server with a clock must send one). Formatted at most once a second per event loop and shared by every
 * response the loop writes in that second: a response costs a clock read and a header set, no formatting.
 */
final class ResponseDate {

  /** One per event-loop thread: the second it was formatted for, and the IMF-fixdate text. */
  private static final FastThreadLocal<Cached> CACHED = new FastThreadLocal<>() {
    @Override
    protected Cached initialValue() {
      return new Cached();
    }
  };

  private static final class Cached {
    private long second = Long.MIN_VALUE;
    private AsciiString value;
  }

  private ResponseDate() {
  }

  /** The current {@code Date} value for this thread, e.g. {@code Sat, 28 Nov 2026 04:05:00 GMT}. */
  static AsciiString now() {
    Cached cached = CACHED.get();
    long millis = System.currentTimeMillis();
    long second = millis / 1000;
    if (second != cached.second) {
      cached.value = new AsciiString(DateFormatter.format(new Date(second * 1000)));
      cached.second = second;
    }
    return cached.value;
  }
}
