package dev.registerservice.stall;

import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import dev.registerservice.config.ServiceConfig;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * Counts event-loop stalls (any stretch longer than the stall threshold in which a loop could not run its
 * tasks), once per freeze, with the cause, and has the code that held a blocked loop logged.
 *
 * <p>Two witnesses see a freeze: the lag probe (a tick that ran late, whatever the reason) and Vert.x's
 * blocked-thread checker (one task holding the loop, reported again every check interval while it runs; its
 * stack is taken the first time). When the loop runs its probe again, the freeze has ended: it goes to a
 * queue, and the {@link ProcessClock} thread decides its cause a moment later, once the late evidence is in
 * (its own lateness and the {@link Samples} it takes on every wake-up: GC time, cgroup throttling, each loop
 * thread's schedstat). The decision itself is {@link StallAttribution}'s; the log lines are {@link StallLog}'s.
 * The loop thread's part is one comparison per tick; everything else runs only for late ticks.
 */
final class StallDetector implements LoopLagProbe.TickListener {
  /** Time for the clock thread to wake up and sample after the freeze ended (it may have been frozen too). */
  private static final long SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  private static final int SAMPLES = 512;

  private final List<EventLoop> loops;
  private final ServiceConfig.EventLoops rules;
  private final long thresholdNanos;
  private final LongSupplier nanoTime;
  private final ToLongFunction<Thread> taskStart;
  private final Sampler sampler;
  private final StallLog log;
  private final AtomicReferenceArray<Stall> current;
  /** Per loop, its recent late ticks (later than half the threshold): a later one must not hide an earlier one. */
  private final Intervals[] late;
  private final AtomicLongArray counts;
  private final ConcurrentLinkedQueue<Freeze> ended = new ConcurrentLinkedQueue<>();
  private final Samples samples;
  private final Lateness clock;
  /** Reused by the clock thread: the kernel-state samples of one freeze. */
  private final int[] states = new int[2];
  private volatile long armedAtNanos = Long.MAX_VALUE;

  /** A stall seen by the blocked-thread checker and not yet ended; {@code stack} null when it could not be sampled. */
  record Stall(long startNanos, StackTraceElement[] stack) {
  }

  /** A freeze that has ended, waiting for its cause. {@code stall} is the checker's record, if it saw one. */
  record Freeze(int loop, long start, long end, Stall stall) {
  }

  /** Fills one sample of the evidence ({@link EvidenceSampler}; a test's recorded figures). */
  interface Sampler {
    void fill(Samples.Sample sample);
  }

  /** How much of a stretch the process as a whole could not run ({@link ProcessClock}; a test's figures). */
  interface Lateness {
    long lateWithin(long start, long end);
  }

  /**
   * Nothing runs by itself: the stall clock ({@link ProcessClock}, made by {@link LoopWatch}) calls
   * {@link #settle} on every wake-up, and its lateness is {@code clock}'s.
   *
   * @param rules the stall threshold and what "stalled" is
   * @param nanoTime the clock of every timestamp here and of the lag probe ({@code System::nanoTime})
   * @param taskStart when the task a loop thread runs now started (on {@code nanoTime}), 0 when idle
   */
  StallDetector(List<EventLoop> loops, ServiceConfig.EventLoops rules, LongSupplier nanoTime,
      ToLongFunction<Thread> taskStart, Sampler sampler, Lateness clock, StallLog log) {
    this.loops = loops;
    this.rules = rules;
    this.thresholdNanos = rules.thresholdNanos();
    this.nanoTime = nanoTime;
    this.taskStart = taskStart;
    this.sampler = sampler;
    this.log = log;
    this.current = new AtomicReferenceArray<>(loops.size());
    this.late = new Intervals[loops.size()];
    for (int i = 0; i < late.length; i++) {
      late[i] = new Intervals(16);
    }
    this.counts = new AtomicLongArray(loops.size() * StallCause.values().length);
    this.samples = new Samples(SAMPLES, loops.size());
    this.clock = clock;
  }

  /** Starts counting: freezes that began before this (start-up) are not stalls. */
  void arm() {
    armedAtNanos = nanoTime.getAsLong();
  }

  /** A tick later than half the threshold: remembered as a late window (another loop's freeze may overlap it). */
  private boolean late(long lagNanos) {
    return lagNanos > thresholdNanos / 2;
  }

  /** Two reports of a freeze that began this close together are of the same freeze. */
  private boolean sameFreeze(long start, long otherStart) {
    return Math.abs(start - otherStart) < thresholdNanos / 2;
  }

  /** Stalls of {@code loop} counted so far with {@code cause}. */
  public long count(int loop, StallCause cause) {
    return counts.get(loop * StallCause.values().length + cause.ordinal());
  }

  /** Called on Vert.x's checker thread for every thread over its time limit, every check interval. */
  public void onBlocked(Thread thread, long durationNanos) {
    int index = indexOf(thread);
    long start = nanoTime.getAsLong() - durationNanos;
    if (index < 0 || start < armedAtNanos) {
      return;
    }
    Stall stall = current.get(index);
    if (stall != null && sameFreeze(stall.startNanos(), start)) {
      return;
    }
    StackTraceElement[] stack = thread.getStackTrace();
    // The stack is sampled a moment after the checker saw the block; if the task has ended since, the stack
    // shows whatever the loop does next (often epollWait) and would blame the wrong code.
    long runningSince = taskStart.applyAsLong(thread);
    if (runningSince == 0 || !sameFreeze(runningSince, start)) {
      stack = null;
    }
    current.set(index, new Stall(start, stack));
  }

  private int indexOf(Thread thread) {
    for (EventLoop loop : loops) {
      if (loop.thread() == thread) {
        return loop.index();
      }
    }
    return -1;
  }

  /** The loop ran its probe at {@code now}: a freeze on it, if there was one, has ended. Runs on the loop, every tick. */
  @Override
  public void onTick(int loop, long now, long lagNanos) {
    Stall stall = current.get(loop);
    if (stall == null && !late(lagNanos)) {
      return;
    }
    long start = now - lagNanos;
    if (start < armedAtNanos) {
      current.compareAndSet(loop, stall, null);
      return;
    }
    if (late(lagNanos)) {
      late[loop].add(start, now);
    }
    if (stall != null) {
      if (!current.compareAndSet(loop, stall, null)) {
        return;
      }
      start = Math.min(start, stall.startNanos());
    } else if (!rules.stalled(lagNanos)) {
      return;
    }
    ended.add(new Freeze(loop, start, now, stall));
  }

  /** On the clock thread after each wake-up: sample the evidence, attribute the settled freezes. */
  void settle(long now) {
    sampler.fill(samples.next(now));
    for (Iterator<Freeze> it = ended.iterator(); it.hasNext(); ) {
      Freeze freeze = it.next();
      if (now - freeze.end() < SETTLE_NANOS) {
        continue;
      }
      it.remove();
      Evidence evidence = evidence(freeze);
      StallCause cause = StallAttribution.cause(evidence);
      counts.incrementAndGet(freeze.loop() * StallCause.values().length + cause.ordinal());
      log.report(loops.get(freeze.loop()).name(), freeze, cause, evidence);
    }
  }

  private Evidence evidence(Freeze freeze) {
    int loop = freeze.loop();
    Samples.Sample before = samples.before(freeze.start());
    Samples.Sample after = samples.after(freeze.end());
    boolean schedstat = before.schedstat[loop] && after.schedstat[loop];
    samples.statesWithin(freeze.start(), freeze.end(), loop, states);
    return new Evidence(freeze.end() - freeze.start(), thresholdNanos, schedstat,
        schedstat ? after.cpuNanos[loop] - before.cpuNanos[loop] : 0,
        schedstat ? after.waitNanos[loop] - before.waitNanos[loop] : 0,
        TimeUnit.MILLISECONDS.toNanos(after.gcMillis - before.gcMillis),
        after.throttledPeriods > before.throttledPeriods,
        clock.lateWithin(freeze.start(), freeze.end()),
        Math.max(before.clockSchedstat && after.clockSchedstat ? after.clockWaitNanos - before.clockWaitNanos : -1,
            before.othersSchedstat && after.othersSchedstat ? after.othersWaitNanos - before.othersWaitNanos : -1),
        everyLoopLate(freeze.start(), freeze.end()),
        freeze.stall() != null, states[0], states[1]);
  }

  private boolean everyLoopLate(long start, long end) {
    for (Intervals loop : late) {
      if (loop.overlap(start, end) == 0) {
        return false;
      }
    }
    return true;
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
