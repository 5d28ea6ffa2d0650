package dev.registerservice.http;

import io.netty.handler.codec.DecoderResult;
import io.vertx.core.http.HttpServerRequest;

/**
 * Requests that failed to decode or were refused by the protocol checks: Vert.x's own answer (400, 414 for a
 * long request line, 431 for large headers, then close), except an unsupported HTTP version, which RFC 9110
 * answers with 505 where Vert.x would send 501. No body, so nothing about the failure reaches the client.
 */
final class InvalidRequests {
  private static final String UNSUPPORTED_VERSION = "unsupported_version";

  private InvalidRequests() {
  }

  static void answer(HttpServerRequest request) {
    DecoderResult result = request.decoderResult();
    if (result.cause() != null && UNSUPPORTED_VERSION.equals(result.cause().getMessage())) {
      request.response().setStatusCode(505).end();
      request.connection().close();
      return;
    }
    HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
  }
}
