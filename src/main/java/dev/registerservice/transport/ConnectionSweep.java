package dev.registerservice.transport;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;

/**
 * One timer per event loop that checks every connection's deadlines (header, idle, write) on each tick, instead
 * of a timer per connection. A per-connection timer costs a priority-queue insert and removal on the loop for
 * every connection, and one that nobody cancels keeps its closed connection reachable until it fires: under a
 * connection per request that held about a thousand closed connections (27 KB each) and multiplied GC pauses.
 * Here a connection joins a set when its handlers are added and leaves it when it closes.
 *
 * <p>Used on its loop only, so it needs no locking. The tick runs at a fixed rate. Deadlines are kept on
 * {@link #now()}, the loop's clock less the time the loop itself was stalled: when a tick comes late by more
 * than the stall threshold (the service's one definition of a stall: a GC pause, a loop starved of CPU, a
 * blocked handler), that lateness is not counted against any connection, since the server, not the client,
 * made no progress then. Without this a
 * healthy client of a large response was closed by the write timeout on a machine loaded by CPU hogs.
 */
final class ConnectionSweep {
  /** Something with deadlines to check; {@code nowNanos} is the loop's clock. */
  interface Swept {
    void sweep(long nowNanos);
  }

  private final EventExecutor loop;
  private final long periodNanos;
  private final LongPredicate stalled;
  private final Set<Swept> swept = new LinkedHashSet<>();
  /** Time the loop was stalled, excluded from {@link #now()}. */
  private long stalledNanos;
  private long lastTickNanos = -1;
  private final List<Swept> snapshot = new ArrayList<>();
  private ScheduledFuture<?> tick;

  /**
   * @param periodNanos how often deadlines are checked: a timeout fires up to this late
   * @param stalled whether a tick late by so many nanoseconds means the loop was stalled
   */
  ConnectionSweep(EventExecutor loop, long periodNanos, LongPredicate stalled) {
    this.loop = loop;
    this.periodNanos = periodNanos;
    this.stalled = stalled;
  }

  void add(Swept connection) {
    swept.add(connection);
    if (tick == null) {
      tick = loop.scheduleAtFixedRate(this::sweep, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    }
  }

  void remove(Swept connection) {
    swept.remove(connection);
  }

  /** Connections checked on each tick; for tests. */
  int size() {
    return swept.size();
  }

  /** The loop's clock without the stalls seen so far: what every deadline is measured on. */
  long now() {
    return loop.ticker().nanoTime() - stalledNanos;
  }

  private void sweep() {
    long ticked = loop.ticker().nanoTime();
    long late = lastTickNanos < 0 ? 0 : ticked - lastTickNanos - periodNanos;
    if (stalled.test(late)) {
      stalledNanos += late;
    }
    lastTickNanos = ticked;
    long now = now();
    // A check may close its connection, which removes it from the set.
    snapshot.addAll(swept);
    try {
      for (Swept connection : snapshot) {
        connection.sweep(now);
      }
    } finally {
      snapshot.clear();
    }
  }

  /** A quarter of the shortest timeout that is on (so a connection closes within 1.25 of its timeout), or 0. */
  static long periodFor(long... timeoutNanos) {
    long shortest = Long.MAX_VALUE;
    for (long timeout : timeoutNanos) {
      if (timeout > 0) {
        shortest = Math.min(shortest, timeout);
      }
    }
    return shortest == Long.MAX_VALUE ? 0 : Math.max(1, shortest / 4);
  }
}
