package dev.registerservice.stall;

import java.util.Locale;

/**
 * Why an event loop could not run its tasks for longer than the stall threshold: the {@code cause} tag of
 * {@code eventloop_stalls_total}. {@link StallAttribution} decides it; the order here is its precedence.
 */
public enum StallCause {
  /** Stop-the-world garbage-collection pauses cover the freeze. */
  GC,
  /** The cgroup's CPU quota throttled the process while the loop waited or stood still. */
  THROTTLED,
  /** The loop thread was ready to run and waited on a run queue for a CPU most of the freeze. */
  STARVED,
  /** The loop thread ran our code most of the freeze, or one task held it asleep in a blocking call; its stack is logged. */
  BLOCKED,
  /** The whole process stood still (no thread ran or waited) with no GC or throttling: SIGSTOP, a frozen VM. */
  PAUSED,
  /** None of the above explains it (without schedstat: only this thread was descheduled, or short tasks queued). */
  UNKNOWN;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
