package dev.registerservice.stall;

import dev.registerservice.logging.LogLimiter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The WARN lines for stalls: per loop, at most one every ten seconds for blocked stalls (with the stack of
 * the blocking task) and separately one for the other causes, so that a short GC or scheduling freeze never
 * hides a blocked stack. A stack is logged only for {@code blocked}: a loop that was preempted, stopped or
 * paused for GC did nothing wrong, whatever its stack shows.
 */
public final class StallLog {
  private static final Logger log = LogManager.getLogger(StallLog.class);
  private static final Duration EVERY = Duration.ofSeconds(10);

  private final long thresholdMillis;
  private final LogLimiter[] blocked;
  private final LogLimiter[] other;

  public StallLog(int loops, long thresholdMillis, LongSupplier nanoTime) {
    this.thresholdMillis = thresholdMillis;
    this.blocked = new LogLimiter[loops];
    this.other = new LogLimiter[loops];
    for (int i = 0; i < loops; i++) {
      blocked[i] = new LogLimiter(EVERY, nanoTime);
      other[i] = new LogLimiter(EVERY, nanoTime);
    }
  }

  /** Carries the blocked thread's stack into the log line; nothing throws it. */
  static final class BlockedHere extends Throwable {
    BlockedHere(String thread, StackTraceElement[] stack) {
      super("stack of " + thread + " while it was blocked", null, false, true);
      setStackTrace(stack);
    }
  }

  void report(String loop, StallDetector.Freeze freeze, StallCause cause, Evidence evidence) {
    long millis = TimeUnit.NANOSECONDS.toMillis(freeze.end() - freeze.start());
    log.debug("Stall on {}: {} ms, cause {} ({})", loop, millis, cause.label(), evidence);
    if (cause != StallCause.BLOCKED) {
      other[freeze.loop()].admit().ifPresent(heldBack -> log.warn("Event loop {} could not run tasks for {} ms"
              + " (stall threshold {} ms; {} more such stalls on it not logged since the last warning), cause {}: {}"
              + " ({})", loop, millis, thresholdMillis, heldBack, cause.label(), explain(cause), evidence));
      return;
    }
    StackTraceElement[] stack = freeze.stall() == null ? null : freeze.stall().stack();
    blocked[freeze.loop()].admit().ifPresent(heldBack -> {
      if (stack == null) {
        log.warn("Event loop {} was blocked for {} ms (stall threshold {} ms; {} more stalls on it not logged since"
            + " the last warning); every connection on this loop waited. No stack: the task ended before it could"
            + " be sampled, or many short tasks held the loop ({})", loop, millis, thresholdMillis, heldBack, evidence);
      } else {
        log.warn("Event loop {} was blocked for {} ms (stall threshold {} ms; {} more stalls on it not logged since"
                + " the last warning); every connection on this loop waited ({}). Stack of the blocking task:",
            loop, millis, thresholdMillis, heldBack, evidence, new BlockedHere(loop, stack));
      }
    });
  }

  private static String explain(StallCause cause) {
    return switch (cause) {
      case GC -> "stop-the-world GC pauses covered it (see jvm_gc_pause_seconds by gc and cause)";
      case THROTTLED -> "the process's cgroup was throttled by its CPU quota while the loop waited or stood still"
          + " (see process_cpu_throttled_seconds_total; raise the CPU limit or lower the load)";
      case STARVED -> "the loop thread was ready to run and waited for a CPU that other threads or processes had"
          + " (see eventloop_cpu_wait_seconds_total; fewer busy threads beside the loops, or more CPU)";
      case PAUSED -> "the whole process stood still with no GC and no throttling: SIGSTOP, a frozen VM or"
          + " container, a long safepoint";
      default -> "neither the loop's own CPU time, its wait for a CPU, a GC pause, throttling nor a process-wide"
          + " pause explains it";
    };
  }
}
