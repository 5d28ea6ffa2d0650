package dev.registerservice.internal;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The traffic connections open right now: their number (the connection cap, and the open-connections gauge
 * reads it) and the connections themselves, so that graceful shutdown can close what its timeout left:
 * Vert.x's {@code HttpServer.shutdown(timeout)} ends at the timeout without closing them.
 */
public final class OpenConnections {
  private final Set<CloseTracker> trackers = ConcurrentHashMap.newKeySet();
  private final AtomicLong count = new AtomicLong();

  void add(CloseTracker tracker) {
    count.incrementAndGet();
    trackers.add(tracker);
  }

  void remove(CloseTracker tracker) {
    trackers.remove(tracker);
    count.decrementAndGet();
  }

  /** Traffic connections open now. */
  public long count() {
    return count.get();
  }

  /**
   * Closes every open traffic connection at once; completes with how many there were once all are closed.
   * Each close starts at the connection's {@link CloseTracker}, below Vert.x's handler, which would otherwise
   * wait for queued writes to reach a client that is not reading.
   */
  public Future<Integer> closeAll() {
    List<CloseTracker> open = List.copyOf(trackers);
    List<Future<Void>> closed = open.stream().map(tracker -> {
      Promise<Void> promise = Promise.promise();
      tracker.closeForShutdown(promise);
      return promise.future();
    }).toList();
    return Future.join(closed).map(open.size());
  }
}
