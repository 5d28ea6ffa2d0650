package dev.registerservice.transport.http1;

import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * How a request's body is framed (RFC 9112 section 6), decided from its Transfer-Encoding and Content-Length
 * fields before Netty reconciles them: no body or a Content-Length body, a chunked body, or a rejection with its
 * reason. Fed one header section's fields in order, then asked once; {@link #reset()} before the next.
 * Allocates nothing.
 */
final class FramingPolicy {
  /**
   * One per thread (per event loop): it is reset and read within one {@code decode} call (the header section's
   * end and the request it yields), so the connections of one loop never see each other's, and none holds one.
   */
  private static final FastThreadLocal<FramingPolicy> PER_THREAD = new FastThreadLocal<>() {
    @Override
    protected FramingPolicy initialValue() {
      return new FramingPolicy();
    }
  };

  private boolean contentLength;
  private boolean transferEncoding;
  /** Non-empty transfer-coding elements over all Transfer-Encoding fields, as one list (RFC 9110 section 5.3). */
  private int codings;
  private int chunked;
  private boolean lastIsChunked;
  private boolean badCoding;
  private boolean chunkedBody;

  /** This thread's policy. */
  static FramingPolicy ofThisThread() {
    return PER_THREAD.get();
  }

  void reset() {
    contentLength = false;
    transferEncoding = false;
    codings = 0;
    chunked = 0;
    lastIsChunked = false;
    badCoding = false;
    chunkedBody = false;
  }

  void contentLength() {
    contentLength = true;
  }

  /** One Transfer-Encoding field: its comma-separated codings, trimmed of SP and HTAB; empty elements ignored. */
  void transferEncoding(CharSequence value) {
    transferEncoding = true;
    int end = value.length();
    int i = 0;
    // An element after the last comma is empty, and an empty one is ignored: stop at the end.
    while (i < end) {
      int comma = i;
      while (comma < end && value.charAt(comma) != ',') {
        comma++;
      }
      int from = i;
      int to = comma;
      while (from < to && Rfc9112.isSpOrTab(value.charAt(from))) {
        from++;
      }
      while (to > from && Rfc9112.isSpOrTab(value.charAt(to - 1))) {
        to--;
      }
      if (to > from) {
        coding(value, from, to);
      }
      i = comma + 1;
    }
  }

  private void coding(CharSequence value, int from, int to) {
    codings++;
    lastIsChunked = to - from == 7 && AsciiString.regionMatches(value, true, from, HttpHeaderValues.CHUNKED, 0, 7);
    if (lastIsChunked) {
      chunked++;
    } else {
      badCoding |= !Rfc9112.isCoding(value, from, to);
    }
  }

  /** Why the fields seen since {@link #reset()} frame no body we can read, or null when they are fine. */
  RejectReason rejection(HttpVersion version) {
    if (!transferEncoding) {
      return null;
    }
    if (version == HttpVersion.HTTP_1_0) {
      // RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
      return RejectReason.TRANSFER_ENCODING_IN_HTTP10;
    }
    if (contentLength) {
      return RejectReason.CONTENT_LENGTH_WITH_TRANSFER_ENCODING;
    }
    if (badCoding || !lastIsChunked || chunked != 1) {
      // The body's length cannot be determined: 400 (RFC 9112 section 6.3).
      return RejectReason.BAD_TRANSFER_ENCODING;
    }
    // Framing is clear (chunked, once, last) but a coding before it is one we do not implement: 501.
    if (codings != 1) {
      return RejectReason.UNSUPPORTED_TRANSFER_CODING;
    }
    chunkedBody = true;
    return null;
  }

  /** The last {@link #rejection} let exactly {@code Transfer-Encoding: chunked} through: the body is chunked. */
  boolean chunkedBody() {
    return chunkedBody;
  }
}
