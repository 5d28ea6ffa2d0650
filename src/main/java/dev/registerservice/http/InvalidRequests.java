package dev.registerservice.http;

import dev.registerservice.internal.RejectReason;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Requests that failed to decode or were refused by the protocol checks: 414 for a long request line, 431
 * for large headers, 505 for another major HTTP version (RFC 9110 section 15.6.6, where Vert.x would send
 * 501), 501 for a transfer coding we do not implement (RFC 9112 section 6.1), 400 for everything else. Always
 * {@code Connection: close} with an HTTP/1.1 status line (the decoder has normalised the request), then the
 * connection closes. No body, so nothing about the failure beyond the status reaches the client.
 */
final class InvalidRequests {
  private static final String UNSUPPORTED_VERSION = RejectReason.UNSUPPORTED_VERSION.label();
  private static final String UNSUPPORTED_TRANSFER_CODING = RejectReason.UNSUPPORTED_TRANSFER_CODING.label();

  private InvalidRequests() {
  }

  static void answer(HttpServerRequest request) {
    request.response()
        .setStatusCode(status(request.decoderResult()))
        .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
        .end();
    request.connection().close();
  }

  private static int status(DecoderResult result) {
    Throwable cause = result.cause();
    if (cause instanceof TooLongHttpLineException) {
      return 414;
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return 431;
    }
    String reason = cause == null ? null : cause.getMessage();
    if (UNSUPPORTED_VERSION.equals(reason)) {
      return 505;
    }
    if (UNSUPPORTED_TRANSFER_CODING.equals(reason)) {
      return 501;
    }
    return 400;
  }
}
