package dev.registerservice.transport.http1;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;

/**
 * The verdict on a parsed header section, in one pass: an empty field name, the Host field (RFC 9112 section
 * 3.2: exactly one in HTTP/1.1, at most one in 1.0, each a valid authority), then the framing
 * ({@link FramingPolicy}, fed here). Allocates nothing but the headers' iterator.
 */
final class HeaderSection {
  private HeaderSection() {
  }

  /** Why {@code request} must be rejected, or null; {@code framing} is reset by the caller and filled here. */
  static RejectReason rejection(HttpRequest request, FramingPolicy framing) {
    int hosts = 0;
    boolean badHost = false;
    Iterator<Map.Entry<CharSequence, CharSequence>> headers = request.headers().iteratorCharSequence();
    while (headers.hasNext()) {
      Map.Entry<CharSequence, CharSequence> header = headers.next();
      CharSequence name = header.getKey();
      if (name.length() == 0) {
        return RejectReason.BAD_REQUEST;
      }
      if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
        hosts++;
        badHost |= !Rfc9112.isHostHeader(header.getValue());
      } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONTENT_LENGTH)) {
        framing.contentLength();
      } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)) {
        framing.transferEncoding(header.getValue());
      }
    }
    HttpVersion version = request.protocolVersion();
    if (hosts > 1) {
      return RejectReason.DUPLICATE_HOST;
    }
    if (version == HttpVersion.HTTP_1_1 && hosts == 0) {
      return RejectReason.MISSING_HOST;
    }
    if (badHost) {
      return RejectReason.BAD_HOST;
    }
    return framing.rejection(version);
  }
}
