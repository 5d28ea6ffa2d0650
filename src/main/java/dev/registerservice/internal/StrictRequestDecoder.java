package dev.registerservice.internal;

import dev.registerservice.metrics.RejectReason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Vert.x's request decoder plus the RFC 9112 checks that need the header section as it arrived: Netty drops
 * {@code Content-Length} when {@code Transfer-Encoding} is present before any handler could see both, and
 * stock Vert.x serves a request without {@code Host} or with {@code Transfer-Encoding: xchunked}. Such a
 * request is marked as failed to decode: Vert.x answers 400 and closes, and the decoder discards the rest
 * of the connection's input, so bytes smuggled behind it are never served.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

  /** A request refused by one of these checks; the reason becomes the rejection metric's tag. */
  static final class Rejected extends DecoderException {
    final RejectReason reason;

    Rejected(RejectReason reason) {
      super(reason.label());
      this.reason = reason;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  private boolean rejected;

  StrictRequestDecoder(HttpServerOptions options) {
    super(options);
  }

  /** Once a request is refused, nothing after it on this connection is decoded: it could be a smuggled request. */
  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
    if (rejected) {
      buffer.skipBytes(buffer.readableBytes());
      return;
    }
    super.decode(ctx, buffer, out);
  }

  /** Called once the header section is parsed, before Netty reconciles the framing headers. */
  @Override
  protected boolean isContentAlwaysEmpty(HttpMessage message) {
    RejectReason reason = message.decoderResult().isSuccess() ? check((HttpRequest) message) : null;
    if (reason != null) {
      message.setDecoderResult(DecoderResult.failure(new Rejected(reason)));
    }
    rejected |= message.decoderResult().isFailure();
    return super.isContentAlwaysEmpty(message);
  }

  private static RejectReason check(HttpRequest request) {
    HttpVersion version = request.protocolVersion();
    if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
      // Netty upper-cases what it does not recognise: "http/1.1" arrives as an HTTP/1.1 lookalike.
      boolean http1 = version.protocolName().equals("HTTP") && version.majorVersion() == 1
          && version.minorVersion() <= 1;
      boolean otherHttp = version.text().startsWith("HTTP/") && !http1;
      return otherHttp ? RejectReason.UNSUPPORTED_VERSION : RejectReason.BAD_REQUEST;
    }
    if (!isVisibleAscii(request.uri())) {
      return RejectReason.BAD_REQUEST;
    }
    // One pass over the headers, allocating nothing per request but the iterator.
    int hosts = 0;
    boolean contentLength = false;
    CharSequence lastCoding = null;
    Iterator<Map.Entry<CharSequence, CharSequence>> headers = request.headers().iteratorCharSequence();
    while (headers.hasNext()) {
      Map.Entry<CharSequence, CharSequence> header = headers.next();
      CharSequence name = header.getKey();
      if (name.length() == 0) {
        return RejectReason.BAD_REQUEST;
      }
      if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
        hosts++;
      } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONTENT_LENGTH)) {
        contentLength = true;
      } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)) {
        lastCoding = header.getValue();
      }
    }
    if (version == HttpVersion.HTTP_1_1 && hosts != 1) {
      return RejectReason.MISSING_HOST;
    }
    if (lastCoding == null) {
      return null;
    }
    if (contentLength) {
      return RejectReason.CONTENT_LENGTH_WITH_TRANSFER_ENCODING;
    }
    String last = lastCoding.toString();
    String finalCoding = last.substring(last.lastIndexOf(',') + 1).trim().toLowerCase(Locale.ROOT);
    return finalCoding.equals("chunked") ? null : RejectReason.BAD_TRANSFER_ENCODING;
  }

  /** A request-target is visible ASCII only (RFC 3986); Netty lets NUL and control bytes through. */
  private static boolean isVisibleAscii(String uri) {
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }
}
