package dev.registerservice.internal;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.Date;

/**
 * Puts a {@code Date} header on every response of a traffic connection (RFC 9110 section 6.6.1: an origin
 * server with a clock must send one). The value is formatted at most once a second per event loop and shared
 * by every response the loop writes in that second: a response costs a clock read and a header set, no
 * formatting. One shared instance for all connections; it sits between Vert.x's handler and the encoder.
 */
@ChannelHandler.Sharable
public final class ResponseDate extends ChannelOutboundHandlerAdapter {
  static final ResponseDate INSTANCE = new ResponseDate();

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
  public static AsciiString now() {
    Cached cached = CACHED.get();
    long millis = System.currentTimeMillis();
    long second = millis / 1000;
    if (second != cached.second) {
      cached.value = new AsciiString(DateFormatter.format(new Date(second * 1000)));
      cached.second = second;
    }
    return cached.value;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse) {
      ((HttpResponse) msg).headers().set(HttpHeaderNames.DATE, now());
    }
    ctx.write(msg, promise);
  }
}
