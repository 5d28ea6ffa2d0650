package dev.registerservice.logging;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * At most one log line per interval for one kind of event, so that an event on every request cannot flood
 * the log; the lines it held back are counted, for the next line that is written to say so. Thread-safe and
 * allocation-free when it holds a line back.
 *
 * <pre>{@code
 * limiter.admit().ifPresent(heldBack -> log.warn("... ({} more not logged since the last one)", heldBack));
 * }</pre>
 */
public final class LogLimiter {
  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final AtomicLong nextNanos;
  private final AtomicLong heldBack = new AtomicLong();

  public LogLimiter(Duration interval) {
    this(interval, System::nanoTime);
  }

  /** @param nanoTime the clock, {@code System::nanoTime} in the service, a test's own in its tests */
  public LogLimiter(Duration interval, LongSupplier nanoTime) {
    if (interval.isNegative()) {
      throw new IllegalArgumentException("interval must not be negative: " + interval);
    }
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
    this.nextNanos = new AtomicLong(nanoTime.getAsLong());
  }

  /**
   * Empty when a line was written less than the interval ago (this one is counted as held back); otherwise
   * how many lines were held back since the last one written, and the interval starts again.
   */
  public OptionalLong admit() {
    long now = nanoTime.getAsLong();
    long next = nextNanos.get();
    if (now - next < 0 || !nextNanos.compareAndSet(next, now + intervalNanos)) {
      heldBack.incrementAndGet();
      return OptionalLong.empty();
    }
    return OptionalLong.of(heldBack.getAndSet(0));
  }
}
