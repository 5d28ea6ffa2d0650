package dev.registerservice.transport;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The traffic connections open right now: their number (the connection cap, and the open-connections gauge
 * reads it) and the connections themselves, so that graceful shutdown can wait until none is open and close
 * what its timeout left: Vert.x's {@code HttpServer.shutdown(timeout)} neither waits for them nor closes them.
 */
public final class OpenConnections {
  private final long cap;
  private final Set<ConnectionTracker> trackers = ConcurrentHashMap.newKeySet();
  private final AtomicLong count = new AtomicLong();
  /** Accepted and let through by the {@link AcceptGate}, not yet counted open by their tracker. */
  private final AtomicLong pending = new AtomicLong();
  private final List<Promise<Void>> awaitingNone = new CopyOnWriteArrayList<>();

  /** @param cap more than this many open, and a new connection is closed at accept ({@link ConnectionCap}) */
  public OpenConnections(long cap) {
    this.cap = cap;
  }

  /** The cap: more connections than this, and a new one is closed at accept. */
  public long cap() {
    return cap;
  }

  long pending() {
    return pending.get();
  }

  void pendingAdded() {
    pending.incrementAndGet();
  }

  /** Counts {@code tracker}'s connection open; returns how many are open now, this one included. */
  long add(ConnectionTracker tracker, boolean wasPending) {
    trackers.add(tracker);
    long now = count.incrementAndGet();
    if (wasPending) {
      pending.decrementAndGet();
    }
    return now;
  }

  void remove(ConnectionTracker tracker) {
    trackers.remove(tracker);
    if (count.decrementAndGet() == 0) {
      awaitingNone.forEach(Promise::tryComplete);
    }
  }

  /** Traffic connections open now. */
  public long count() {
    return count.get();
  }

  /**
   * Completes once no traffic connection is open: at once if none is now. For graceful shutdown, once the
   * server no longer accepts (before, a new connection could open after it completed).
   */
  public Future<Void> noneOpen() {
    Promise<Void> promise = Promise.promise();
    awaitingNone.add(promise);
    // A connection that closed between the add and here saw no promise: look again.
    if (count.get() == 0) {
      promise.tryComplete();
    }
    return promise.future();
  }

  /**
   * Closes every open traffic connection at once; completes with how many there were once all are closed.
   * Each close starts at the connection's {@link ConnectionTracker}, below Vert.x's handler, which would otherwise
   * wait for queued writes to reach a client that is not reading.
   */
  public Future<Integer> closeAll() {
    List<ConnectionTracker> open = List.copyOf(trackers);
    List<Future<Void>> closed = open.stream().map(tracker -> {
      Promise<Void> promise = Promise.promise();
      tracker.closeForShutdown(promise);
      return promise.future();
    }).toList();
    return Future.join(closed).map(open.size());
  }
}
