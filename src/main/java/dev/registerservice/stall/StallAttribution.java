package dev.registerservice.stall;

/**
 * Decides a stall's cause from its {@link Evidence}: a pure function, no clock, no I/O.
 *
 * <p>The loop thread's schedstat says where it spent the freeze: on a CPU ({@code ran}), ready but waiting
 * for one ({@code waited}), or neither (stopped or asleep). In this order:
 * <ol>
 *   <li>{@code gc}: GC pauses cover the freeze, so that without them it would have stayed under the threshold;</li>
 *   <li>{@code blocked}: the loop thread ran our code for at least the threshold, so that it would have
 *       stalled even with a CPU of its own (one long task or a burst of them), however long it also waited;</li>
 *   <li>the loop ran, waited and stood in GC pauses for at least half the freeze together: the longest of the
 *       three decides. GC makes it {@code gc}; waiting makes it {@code throttled} when the cgroup was throttled
 *       meanwhile (a throttled thread waits on its run queue too), {@code starved} otherwise; running makes
 *       it {@code blocked};</li>
 *   <li>the loop neither ran nor waited most of the freeze: when the whole process stood still (the clock
 *       thread late over it, and every loop too unless schedstat was read): {@code throttled} with throttling,
 *       else {@code starved} when the clock thread itself, or the JVM's VM Thread and the hashing threads
 *       together, waited for a CPU at least half the clock's lateness (a safepoint that took long because the
 *       threads it waited for were starved), else
 *       {@code paused}; {@code blocked}
 *       when the checker saw one task hold the loop (asleep in a blocking call); {@code throttled} when the
 *       cgroup was throttled; {@code unknown} otherwise.</li>
 * </ol>
 * Without schedstat (no {@code /proc}, a kernel without {@code CONFIG_SCHED_INFO}) steps 2 and 3 are skipped and
 * step 4 decides as before schedstat was read: a stall that was starvation is then counted as
 * {@code paused} or {@code unknown}, and a task preempted for the threshold as {@code blocked}.
 */
public final class StallAttribution {
  private StallAttribution() {
  }

  public static StallCause cause(Evidence e) {
    if (e.gc() > 0 && e.freeze() - e.gc() < e.threshold()) {
      return StallCause.GC;
    }
    if (e.schedstat()) {
      if (e.ran() >= e.threshold()) {
        return StallCause.BLOCKED;
      }
      if (e.ran() + e.waited() + e.gc() >= e.freeze() / 2) {
        if (e.gc() > e.waited() && e.gc() > e.ran()) {
          return StallCause.GC;
        }
        if (e.waited() >= e.ran()) {
          return e.throttled() ? StallCause.THROTTLED : StallCause.STARVED;
        }
        return StallCause.BLOCKED;
      }
    }
    if (e.processStoodStill()) {
      if (e.throttled()) {
        return StallCause.THROTTLED;
      }
      return e.witnessStarved() ? StallCause.STARVED : StallCause.PAUSED;
    }
    if (e.checkerSawTask()) {
      return StallCause.BLOCKED;
    }
    return e.throttled() ? StallCause.THROTTLED : StallCause.UNKNOWN;
  }
}
