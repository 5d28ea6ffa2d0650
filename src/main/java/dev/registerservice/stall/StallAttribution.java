package dev.registerservice.stall;

/**
 * Decides a stall's cause from its {@link Evidence}: a pure function, no clock, no I/O.
 *
 * <p>The loop thread's schedstat says where it spent the freeze: on a CPU ({@code ran}), ready but waiting
 * for one ({@code waited}), or neither (stopped or asleep); samples of its kernel state say whether it slept in
 * a blocking call. A part "covers" the freeze when without it the freeze would have stayed under the threshold.
 * {@code blocked}, the one cause that logs a stack and blames our code, needs the kernel's word: the loop ran
 * our code for most of the freeze, or slept in a blocking call. In this order:
 * <ol>
 *   <li>{@code gc}: GC pauses cover the freeze;</li>
 *   <li>{@code blocked}: the loop ran for at least the threshold and at least half the freeze (one long task);</li>
 *   <li>{@code blocked}: the kernel showed it asleep in a blocking call (not its epoll wait, not parked by the
 *       JVM) in at least half of the samples taken during the freeze;</li>
 *   <li>the loop ran, waited and stood in GC pauses for at least half the freeze together: the longest of the
 *       three decides. GC makes it {@code gc}; waiting makes it {@code throttled} when the cgroup was throttled
 *       meanwhile (a throttled thread waits on its run queue too), {@code starved} otherwise; running makes it
 *       {@code blocked} only if it was at least half the freeze and the wait does not cover it (a burst of our
 *       tasks), and starved or throttled when the wait covers it (without the wait there was no stall);</li>
 *   <li>{@code throttled} / {@code starved}: the loop waited for a CPU for at least the threshold;</li>
 *   <li>the whole process stood still (the clock thread late over the freeze, and every loop too unless
 *       schedstat was read): {@code throttled} with throttling, else {@code starved} when the clock thread
 *       itself, or the JVM's VM Thread and the hashing threads together, waited for a CPU at least half the
 *       clock's lateness (a safepoint that took long because the threads it waited for were starved), else
 *       {@code paused} (SIGSTOP, a frozen VM, a long safepoint);</li>
 *   <li>{@code blocked} when schedstat could not be read and the checker saw one task hold the loop (the only
 *       evidence there is then);</li>
 *   <li>{@code throttled} when the cgroup was throttled; {@code unknown} otherwise.</li>
 * </ol>
 * Without schedstat (no {@code /proc}, a kernel without {@code CONFIG_SCHED_INFO}) steps 2 to 5 are skipped: a
 * stall that was starvation is then counted as {@code paused} or {@code unknown}, and a task preempted for the
 * threshold as {@code blocked}.
 */
public final class StallAttribution {
  private StallAttribution() {
  }

  public static StallCause cause(Evidence e) {
    if (e.covers(e.gc())) {
      return StallCause.GC;
    }
    if (e.schedstat()) {
      if (e.ran() >= e.threshold() && 2 * e.ran() >= e.freeze()) {
        return StallCause.BLOCKED;
      }
      if (e.asleepInCall()) {
        return StallCause.BLOCKED;
      }
      if (e.ran() + e.waited() + e.gc() >= e.freeze() / 2) {
        if (e.gc() > e.waited() && e.gc() > e.ran()) {
          return StallCause.GC;
        }
        if (e.waited() >= e.ran() || e.covers(e.waited())) {
          return waitedFor(e);
        }
        if (2 * e.ran() >= e.freeze()) {
          return StallCause.BLOCKED;
        }
      }
      if (e.waited() >= e.threshold()) {
        return waitedFor(e);
      }
    }
    if (e.processStoodStill()) {
      if (e.throttled()) {
        return StallCause.THROTTLED;
      }
      return e.witnessStarved() ? StallCause.STARVED : StallCause.PAUSED;
    }
    if (!e.schedstat() && e.checkerSawTask()) {
      return StallCause.BLOCKED;
    }
    return e.throttled() ? StallCause.THROTTLED : StallCause.UNKNOWN;
  }

  /** The loop waited for a CPU: the quota's doing when the cgroup was throttled meanwhile, others' otherwise. */
  private static StallCause waitedFor(Evidence e) {
    return e.throttled() ? StallCause.THROTTLED : StallCause.STARVED;
  }
}
