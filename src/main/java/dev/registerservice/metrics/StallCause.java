package dev.registerservice.metrics;

import java.util.Locale;

/** Why an event loop could not run its tasks for longer than the stall threshold: the {@code cause} tag of {@code eventloop_stalls_total}. */
public enum StallCause {
  /** One task held the loop: Vert.x's blocked-thread checker saw it, and its stack is logged. */
  BLOCKED,
  /** Stop-the-world garbage-collection pauses cover the freeze. */
  GC,
  /** The whole process stood still while the cgroup's CPU quota throttled it. */
  THROTTLED,
  /** The whole process stood still (every loop and the non-loop clock thread late) with no GC or throttling. */
  PAUSED,
  /** None of the above explains it: for example many short tasks queued, or only this thread descheduled. */
  UNKNOWN;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
