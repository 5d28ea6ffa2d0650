package dev.registerservice.stall;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A plain (non-event-loop) thread that wakes at a fixed interval and remembers when it woke too late. When
 * it and an event loop were late over the same stretch, the whole process stood still (GC, throttling, a
 * stop signal, a frozen VM), not just that loop. It also drives the stall attribution, off the loops.
 */
final class ProcessClock implements Runnable {
  private static final Logger log = LogManager.getLogger(ProcessClock.class);

  private final LongSupplier nanoTime;
  private final long intervalNanos;
  private final long minGapNanos;
  private final LongConsumer onTick;
  private final Intervals gaps = new Intervals(64);
  private final Thread thread;
  private volatile boolean stopped;

  /**
   * @param minGapNanos lateness from which a wake-up counts as a gap
   * @param onTick called on this thread after every wake-up with the time it woke
   */
  ProcessClock(String name, LongSupplier nanoTime, long intervalNanos, long minGapNanos, LongConsumer onTick) {
    this.nanoTime = nanoTime;
    this.intervalNanos = intervalNanos;
    this.minGapNanos = minGapNanos;
    this.onTick = onTick;
    this.thread = new Thread(this, name);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void stop() {
    stopped = true;
    LockSupport.unpark(thread);
  }

  /** How much of {@code [start, end]} this thread spent unable to run (late by at least the minimum gap). */
  long lateWithin(long start, long end) {
    return gaps.overlap(start, end);
  }

  @Override
  public void run() {
    long expected = nanoTime.getAsLong() + intervalNanos;
    while (!stopped) {
      LockSupport.parkNanos(expected - nanoTime.getAsLong());
      long now = nanoTime.getAsLong();
      if (now < expected) {
        continue; // woken early (spuriously, or by stop())
      }
      if (now - expected >= minGapNanos) {
        gaps.add(expected, now);
      }
      expected = now + intervalNanos;
      try {
        onTick.accept(now);
      } catch (RuntimeException e) {
        log.error("Stall attribution failed; the clock keeps running", e);
      }
    }
  }
}
