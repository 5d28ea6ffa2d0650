package dev.registerservice.http;

import io.vertx.core.http.HttpServerRequest;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One line per traffic response on the {@code access} logger, when {@code REGISTER_ACCESS_LOG} is on: client,
 * request line, status, body bytes sent and time taken. A response the client abandoned is logged with 499,
 * nginx's convention.
 */
public final class AccessLog {
  static final int CLIENT_CLOSED = 499;
  private static final Logger log = LogManager.getLogger("access");

  private final boolean enabled;

  public AccessLog(boolean enabled) {
    this.enabled = enabled;
  }

  /** When a response starts: {@code System.nanoTime()} if lines are written, else 0 (no clock read). */
  long start() {
    return enabled ? System.nanoTime() : 0;
  }

  void log(HttpServerRequest request, int status, long bodyBytes, long startNanos) {
    if (enabled) {
      log.info("{} \"{} {} {}\" {} {} {}ms", request.remoteAddress(), request.method(), request.uri(),
          request.version(), status, bodyBytes, (System.nanoTime() - startNanos) / 1_000_000);
    }
  }
}
