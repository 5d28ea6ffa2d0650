package dev.registerservice.http;

import dev.registerservice.transport.http1.RejectReason;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Requests that failed to decode or were refused by the protocol checks: 414 for a long request line, 431
 * for large headers, 505 for another major HTTP version (RFC 9110 section 15.6.6, where Vert.x would send
 * 501), 501 for a transfer coding we do not implement (RFC 9112 section 6.1), 400 for everything else. Always
 * {@code Connection: close} with an HTTP/1.1 status line (the decoder has normalised the request), then the
 * connection closes. No body, so nothing about the failure beyond the status reaches the client. The status is
 * the one the refusal's {@link RejectReason} carries, decided where the request was decoded.
 */
final class InvalidRequests {
  private InvalidRequests() {
  }

  static void answer(HttpServerRequest request) {
    request.response()
        .setStatusCode(RejectReason.of(request.decoderResult().cause()).status())
        .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
        .end();
    request.connection().close();
  }
}
