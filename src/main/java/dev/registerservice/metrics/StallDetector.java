package dev.registerservice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.ToLongFunction;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Counts event-loop stalls and names the code that caused them.
 *
 * <p>Vert.x's blocked-thread checker reports a loop thread again every check interval while one task keeps
 * it; a stall is one continuous block, recognised by its start time, so it is counted once, when first seen,
 * and its stack is taken then. The WARN is written when the loop runs again (its lag probe ticks), so it
 * carries the whole duration. At most one WARN per loop every ten seconds; the rest are counted.
 */
public final class StallDetector implements LoopLagProbe.TickListener {
  private static final Logger log = LogManager.getLogger(StallDetector.class);
  private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final List<EventLoop> loops;
  private final Map<Thread, Integer> indexByThread = new HashMap<>();
  private final Counter[] stalls;
  private final AtomicReferenceArray<Stall> current;
  private final long[] lastWarn;
  private final int[] suppressed;
  private final long thresholdNanos;
  private final ToLongFunction<Thread> taskStart;
  private volatile long armedAtNanos = Long.MAX_VALUE;

  /** A stall seen by the checker and not yet logged. */
  private static final class Stall {
    final long startNanos;
    final StackTraceElement[] stack;
    volatile long durationNanos;

    Stall(long startNanos, long durationNanos, StackTraceElement[] stack) {
      this.startNanos = startNanos;
      this.durationNanos = durationNanos;
      this.stack = stack;
    }
  }

  /** Carries the blocked thread's stack into the log line; nothing throws it. */
  static final class BlockedHere extends Throwable {
    BlockedHere(String thread, StackTraceElement[] stack) {
      super("stack of " + thread + " while it was blocked", null, false, true);
      setStackTrace(stack);
    }
  }

  /**
   * @param taskStart when the task a loop thread runs now started ({@code System.nanoTime()}), 0 when idle
   */
  public StallDetector(MeterRegistry registry, List<EventLoop> loops, long thresholdMillis,
      ToLongFunction<Thread> taskStart) {
    this.taskStart = taskStart;
    this.loops = loops;
    this.thresholdNanos = TimeUnit.MILLISECONDS.toNanos(thresholdMillis);
    this.stalls = new Counter[loops.size()];
    this.current = new AtomicReferenceArray<>(loops.size());
    this.lastWarn = new long[loops.size()];
    this.suppressed = new int[loops.size()];
    for (EventLoop loop : loops) {
      indexByThread.put(loop.thread(), loop.index());
      stalls[loop.index()] = Counter.builder("eventloop.stalls")
          .description("Times one task held the event loop longer than the stall threshold")
          .tag("loop", loop.name())
          .register(registry);
    }
    long now = System.nanoTime();
    Arrays.fill(lastWarn, now - WARN_EVERY_NANOS);
  }

  /** Starts counting: blocks that began before this (start-up) are not stalls. */
  public void arm() {
    armedAtNanos = System.nanoTime();
  }

  /** Called on Vert.x's checker thread for every thread over its time limit, every check interval. */
  public void onBlocked(Thread thread, long durationNanos) {
    Integer index = indexByThread.get(thread);
    long start = System.nanoTime() - durationNanos;
    if (index == null || start < armedAtNanos) {
      return;
    }
    Stall stall = current.get(index);
    if (stall != null && Math.abs(stall.startNanos - start) < thresholdNanos / 2) {
      stall.durationNanos = durationNanos;
      return;
    }
    StackTraceElement[] stack = thread.getStackTrace();
    // The stack is sampled a moment after the checker saw the block; if the task has ended since, the stack
    // shows whatever the loop does next (often epollWait) and would blame the wrong code.
    long runningSince = taskStart.applyAsLong(thread);
    if (runningSince == 0 || Math.abs(runningSince - start) >= thresholdNanos / 2) {
      stack = null;
    }
    current.set(index, new Stall(start, durationNanos, stack));
    stalls[index].increment();
  }

  /** The loop ran its probe, so any stall on it has ended: write it down. */
  @Override
  public void onTick(int loop, long lagNanos) {
    Stall stall = current.get(loop);
    if (stall == null || !current.compareAndSet(loop, stall, null)) {
      return;
    }
    long now = System.nanoTime();
    if (now - lastWarn[loop] < WARN_EVERY_NANOS) {
      suppressed[loop]++;
      return;
    }
    lastWarn[loop] = now;
    String name = loops.get(loop).name();
    long millis = TimeUnit.NANOSECONDS.toMillis(Math.max(stall.durationNanos, lagNanos));
    if (stall.stack == null) {
      log.warn("Event loop {} was blocked for {} ms (stall threshold {} ms; {} more stalls on it not logged since the"
              + " last warning); every connection on this loop waited. The task ended before its stack could be"
              + " sampled.", name, millis, TimeUnit.NANOSECONDS.toMillis(thresholdNanos), suppressed[loop]);
    } else {
      log.warn("Event loop {} was blocked for {} ms (stall threshold {} ms; {} more stalls on it not logged since the"
              + " last warning); every connection on this loop waited. Stack of the blocking task:",
          name, millis, TimeUnit.NANOSECONDS.toMillis(thresholdNanos), suppressed[loop],
          new BlockedHere(name, stall.stack));
    }
    suppressed[loop] = 0;
  }

  /** True while some traffic loop is blocked longer than the threshold right now. */
  public boolean anyLoopStalled() {
    for (int i = 0; i < current.length(); i++) {
      if (current.get(i) != null) {
        return true;
      }
    }
    return false;
  }
}
