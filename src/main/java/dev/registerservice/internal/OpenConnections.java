package dev.registerservice.internal;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The traffic connections open right now, so that graceful shutdown can close what its timeout left:
 * Vert.x's {@code HttpServer.shutdown(timeout)} ends at the timeout without closing them.
 */
public final class OpenConnections {
  private final Set<ConnectionWatch> watched = ConcurrentHashMap.newKeySet();

  void add(ConnectionWatch watch) {
    watched.add(watch);
  }

  void remove(ConnectionWatch watch) {
    watched.remove(watch);
  }

  /**
   * Closes every open traffic connection at once; completes with how many there were once all are closed.
   * The close starts at each connection's {@link ConnectionWatch}, below Vert.x's handler, which would
   * otherwise wait for queued writes to reach a client that is not reading.
   */
  public Future<Integer> closeAll() {
    List<ConnectionWatch> open = List.copyOf(watched);
    List<Future<Void>> closed = open.stream().map(watch -> {
      Promise<Void> promise = Promise.promise();
      watch.closeForShutdown(promise);
      return promise.future();
    }).toList();
    return Future.join(closed).map(open.size());
  }
}
