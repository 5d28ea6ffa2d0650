package dev.registerservice.internal;

import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;

/**
 * Vert.x's HTTP/1.x request decoder (internal: {@code io.vertx.core.http.impl}), to be extended: the strict
 * decoder must produce the request objects Vert.x's connection expects, so it subclasses Vert.x's rather than
 * Netty's {@code HttpRequestDecoder}, and overrides Netty's protected hooks through it.
 */
public abstract class VertxRequestDecoder extends VertxHttpRequestDecoder {
  protected VertxRequestDecoder(HttpServerOptions options) {
    super(options);
  }
}
