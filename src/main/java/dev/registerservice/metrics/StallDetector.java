package dev.registerservice.metrics;

import dev.registerservice.process.CgroupCpu;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.ToLongFunction;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Counts event-loop stalls (any stretch longer than the stall threshold in which a loop could not run its
 * tasks), once per freeze, with the cause, and names the code that caused a blocked one.
 *
 * <p>Two witnesses see a freeze: the lag probe (a tick that ran late, whatever the reason) and Vert.x's
 * blocked-thread checker (one task holding the loop, reported again every check interval while it runs; its
 * stack is taken the first time). When the loop runs its probe again, the freeze has ended: it goes to a
 * queue, and the {@link ProcessClock} thread attributes it a moment later, once the late evidence (its own
 * lateness, the JVM's cumulative GC pause time and the cgroup's {@code cpu.stat}, both sampled by the
 * clock thread on every wake-up) is in. In that order:
 * <ol>
 *   <li>{@code gc}: stop-the-world GC pauses cover the freeze, so that without them it would have stayed
 *       under the threshold;</li>
 *   <li>{@code throttled} / {@code paused}: the clock thread (not an event loop) was late over the freeze just
 *       as much, and so was every other loop: the whole process stood still. {@code throttled} when the
 *       cgroup's {@code nr_throttled} grew over it, {@code paused} otherwise (SIGSTOP, a frozen VM or
 *       container, a long safepoint, a host that gave the process no CPU);</li>
 *   <li>{@code blocked}: the checker saw one task hold the loop; its stack is logged;</li>
 *   <li>{@code throttled}: the cgroup was throttled during it, though other threads still ran;</li>
 *   <li>{@code unknown}: anything else (many short tasks queued, this thread alone descheduled).</li>
 * </ol>
 * The loop thread's part is one comparison per tick; everything else runs only for late ticks. One WARN per
 * loop every ten seconds at most for blocked stalls (with the stack), and separately for the other causes;
 * the rest are counted.
 */
public final class StallDetector implements LoopLagProbe.TickListener, AutoCloseable {
  private static final Logger log = LogManager.getLogger(StallDetector.class);
  private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** Time for the clock thread to wake up and sample after the freeze ended (it may have been frozen too). */
  private static final long SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  private static final int SAMPLES = 512;

  private final List<EventLoop> loops;
  private final Map<Thread, Integer> indexByThread = new HashMap<>();
  private final Counter[][] stalls;
  private final AtomicReferenceArray<Stall> current;
  /** Per loop, its recent late ticks (later than half the threshold): a later one must not hide an earlier one. */
  private final Intervals[] late;
  // Per loop, one limit for blocked stalls (their stacks) and another for the rest, so that a short GC or
  // scheduling freeze never hides the stack of a blocking task.
  private final long[] lastWarn;
  private final int[] suppressed;
  private final long[] lastOtherWarn;
  private final int[] suppressedOther;
  private final long thresholdNanos;
  private final ToLongFunction<Thread> taskStart;
  private final GcPauses gc;
  private final Optional<CgroupCpu> cgroup;
  private final ProcessClock clock;
  private final ConcurrentLinkedQueue<Freeze> ended = new ConcurrentLinkedQueue<>();
  // GC time and cpu.stat samples, one per clock wake-up, only touched on the clock thread
  private final long[] sampleTimes = new long[SAMPLES];
  private final long[] sampleGcMillis = new long[SAMPLES];
  private final long[] sampleThrottled = new long[SAMPLES];
  private final long[] stat = new long[3];
  private long samples;
  private volatile long armedAtNanos = Long.MAX_VALUE;

  /** A stall seen by the blocked-thread checker and not yet ended. */
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

  /** A freeze that has ended, waiting for its cause. {@code stall} is the checker's record, if it saw one. */
  private record Freeze(int loop, long start, long end, Stall stall) {
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
   * @param cgroup the process's CPU cgroup, for throttling evidence
   */
  public StallDetector(MeterRegistry registry, List<EventLoop> loops, long thresholdMillis,
      ToLongFunction<Thread> taskStart, GcPauses gc, Optional<CgroupCpu> cgroup) {
    this.taskStart = taskStart;
    this.loops = loops;
    this.gc = gc;
    this.cgroup = cgroup;
    this.thresholdNanos = TimeUnit.MILLISECONDS.toNanos(thresholdMillis);
    this.stalls = new Counter[loops.size()][StallCause.values().length];
    this.current = new AtomicReferenceArray<>(loops.size());
    this.late = new Intervals[loops.size()];
    this.lastWarn = new long[loops.size()];
    this.suppressed = new int[loops.size()];
    this.lastOtherWarn = new long[loops.size()];
    this.suppressedOther = new int[loops.size()];
    for (EventLoop loop : loops) {
      indexByThread.put(loop.thread(), loop.index());
      late[loop.index()] = new Intervals(16);
      for (StallCause cause : StallCause.values()) {
        stalls[loop.index()][cause.ordinal()] = Counter.builder("eventloop.stalls")
            .description("Freezes of the event loop longer than the stall threshold (REGISTER_STALL_THRESHOLD_MS),"
                + " one per freeze, by cause: blocked (one task held it), gc, throttled (CPU quota), paused"
                + " (the whole process stood still), unknown")
            .tag("loop", loop.name())
            .tag("cause", cause.label())
            .register(registry);
      }
    }
    long now = System.nanoTime();
    Arrays.fill(lastWarn, now - WARN_EVERY_NANOS);
    Arrays.fill(lastOtherWarn, now - WARN_EVERY_NANOS);
    long clockInterval = Math.max(TimeUnit.MILLISECONDS.toNanos(5), Math.min(thresholdNanos / 4,
        TimeUnit.MILLISECONDS.toNanos(50)));
    this.clock = new ProcessClock("eventloop-stall-clock", clockInterval, thresholdNanos / 4, this::settle);
  }

  /** Starts counting: freezes that began before this (start-up) are not stalls. */
  public void arm() {
    armedAtNanos = System.nanoTime();
    clock.start();
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
  }

  /** The loop ran its probe: a freeze on it, if there was one, has ended. Runs on the loop, every tick. */
  @Override
  public void onTick(int loop, long lagNanos) {
    Stall stall = current.get(loop);
    if (stall == null && lagNanos <= thresholdNanos / 2) {
      return;
    }
    long end = System.nanoTime();
    long start = end - lagNanos;
    if (start < armedAtNanos) {
      current.compareAndSet(loop, stall, null);
      return;
    }
    if (lagNanos > thresholdNanos / 2) {
      late[loop].add(start, end);
    }
    if (stall != null) {
      if (!current.compareAndSet(loop, stall, null)) {
        return;
      }
      start = Math.min(start, stall.startNanos);
    } else if (lagNanos <= thresholdNanos) {
      return;
    }
    ended.add(new Freeze(loop, start, end, stall));
  }

  /** On the clock thread after each wake-up: sample GC time and throttling, attribute the settled freezes. */
  private void settle(long now) {
    sample(now);
    if (ended.isEmpty()) {
      return;
    }
    for (Iterator<Freeze> it = ended.iterator(); it.hasNext(); ) {
      Freeze freeze = it.next();
      if (now - freeze.end() < SETTLE_NANOS) {
        continue;
      }
      it.remove();
      StallCause cause = attribute(freeze);
      stalls[freeze.loop()][cause.ordinal()].increment();
      report(freeze, cause, now);
    }
  }

  private StallCause attribute(Freeze freeze) {
    long start = freeze.start();
    long end = freeze.end();
    long duration = end - start;
    int before = sampleBefore(start);
    int after = sampleAfter(end);
    long gcNanos = TimeUnit.MILLISECONDS.toNanos(sampleGcMillis[after] - sampleGcMillis[before]);
    if (gcNanos > 0 && duration - gcNanos < thresholdNanos) {
      return StallCause.GC;
    }
    boolean throttled = sampleThrottled[after] > sampleThrottled[before];
    if (duration - clock.lateWithin(start, end) < thresholdNanos && everyLoopLate(start, end)) {
      return throttled ? StallCause.THROTTLED : StallCause.PAUSED;
    }
    if (freeze.stall() != null) {
      return StallCause.BLOCKED;
    }
    return throttled ? StallCause.THROTTLED : StallCause.UNKNOWN;
  }

  private boolean everyLoopLate(long start, long end) {
    for (Intervals loop : late) {
      if (loop.overlap(start, end) == 0) {
        return false;
      }
    }
    return true;
  }

  private void sample(long now) {
    int slot = (int) (samples % SAMPLES);
    sampleTimes[slot] = now;
    sampleGcMillis[slot] = gc.collectionMillis();
    if (cgroup.isPresent()) {
      cgroup.get().read(stat);
      sampleThrottled[slot] = stat[CgroupCpu.THROTTLED_PERIODS];
    }
    samples++;
  }

  /** The slot of the last sample taken at or before {@code time}, or of the oldest one kept. */
  private int sampleBefore(long time) {
    long oldest = Math.max(0, samples - SAMPLES);
    for (long n = samples - 1; n >= oldest; n--) {
      if (sampleTimes[(int) (n % SAMPLES)] <= time) {
        return (int) (n % SAMPLES);
      }
    }
    return (int) (oldest % SAMPLES);
  }

  /** The slot of the first sample taken at or after {@code time} (there is one: freezes settle first). */
  private int sampleAfter(long time) {
    long oldest = Math.max(0, samples - SAMPLES);
    int found = (int) ((samples - 1) % SAMPLES);
    for (long n = samples - 1; n >= oldest && sampleTimes[(int) (n % SAMPLES)] >= time; n--) {
      found = (int) (n % SAMPLES);
    }
    return found;
  }

  private void report(Freeze freeze, StallCause cause, long now) {
    int loop = freeze.loop();
    if (cause != StallCause.BLOCKED) {
      reportOther(freeze, cause, now);
      return;
    }
    if (now - lastWarn[loop] < WARN_EVERY_NANOS) {
      suppressed[loop]++;
      return;
    }
    lastWarn[loop] = now;
    String name = loops.get(loop).name();
    long threshold = TimeUnit.NANOSECONDS.toMillis(thresholdNanos);
    Stall stall = freeze.stall();
    long millis = TimeUnit.NANOSECONDS.toMillis(Math.max(freeze.end() - freeze.start(),
        stall == null ? 0 : stall.durationNanos));
    if (stall.stack == null) {
      log.warn("Event loop {} was blocked for {} ms (stall threshold {} ms; {} more stalls on it not logged since the"
              + " last warning); every connection on this loop waited. The task ended before its stack could be"
              + " sampled.", name, millis, threshold, suppressed[loop]);
    } else {
      log.warn("Event loop {} was blocked for {} ms (stall threshold {} ms; {} more stalls on it not logged since the"
              + " last warning); every connection on this loop waited. Stack of the blocking task:",
          name, millis, threshold, suppressed[loop], new BlockedHere(name, stall.stack));
    }
    suppressed[loop] = 0;
  }

  private void reportOther(Freeze freeze, StallCause cause, long now) {
    int loop = freeze.loop();
    if (now - lastOtherWarn[loop] < WARN_EVERY_NANOS) {
      suppressedOther[loop]++;
      return;
    }
    lastOtherWarn[loop] = now;
    log.warn("Event loop {} could not run tasks for {} ms (stall threshold {} ms; {} more such stalls on it not"
            + " logged since the last warning), cause {}: {}", loops.get(loop).name(),
        TimeUnit.NANOSECONDS.toMillis(freeze.end() - freeze.start()), TimeUnit.NANOSECONDS.toMillis(thresholdNanos),
        suppressedOther[loop], cause.label(), explain(cause));
    suppressedOther[loop] = 0;
  }

  private static String explain(StallCause cause) {
    return switch (cause) {
      case GC -> "stop-the-world GC pauses covered it (see jvm_gc_pause_seconds by gc and cause)";
      case THROTTLED -> "the whole process stood still while its cgroup was throttled by the CPU quota"
          + " (see process_cpu_throttled_seconds_total; raise the CPU limit or lower the load)";
      case PAUSED -> "the whole process stood still with no GC and no throttling: SIGSTOP, a frozen VM or"
          + " container, a long safepoint, or a host that gave it no CPU";
      default -> "no single task, GC pause, throttling or process-wide pause explains it: many short tasks"
          + " queued (see eventloop_pending_tasks), or only this thread was descheduled";
    };
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

  @Override
  public void close() {
    clock.stop();
    cgroup.ifPresent(CgroupCpu::close);
  }
}
