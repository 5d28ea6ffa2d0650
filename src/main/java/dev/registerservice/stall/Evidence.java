package dev.registerservice.stall;

import java.util.concurrent.TimeUnit;

/**
 * Everything known about one ended freeze of one loop when its cause is decided; the input of
 * {@link StallAttribution}. All times in nanoseconds.
 *
 * @param freeze how long the loop could not run its tasks
 * @param threshold the stall threshold
 * @param schedstat whether the loop thread's schedstat was read around the freeze; if not, {@code ran} and
 *     {@code waited} are 0 and mean nothing
 * @param ran the loop thread's time on a CPU over the sampled window around the freeze
 * @param waited the loop thread's time waiting on a run queue over that window
 * @param gc stop-the-world GC pause time over that window
 * @param throttled whether the cgroup's {@code nr_throttled} grew over that window
 * @param clockLate how much of the freeze the clock thread (not an event loop) was late too
 * @param witnessWaited the larger of two run-queue waits over the sampled window: the clock thread's, and that
 *     of the JVM's VM Thread and the service's busy threads (hashing) together; -1 when neither was read. A
 *     process that stood still because no CPU was free (starved, or a safepoint that took long because the
 *     threads it waited for waited for a CPU), not because it was stopped
 * @param everyLoopLate whether every other loop had a late tick during the freeze
 * @param checkerSawTask whether Vert.x's blocked-thread checker saw one task hold the loop
 * @param kernelSamples how many times during the freeze the clock thread read the loop thread's kernel state
 * @param inCallSamples how many of those showed it asleep in a blocking call ({@link BlockingCall})
 */
public record Evidence(long freeze, long threshold, boolean schedstat, long ran, long waited, long gc,
    boolean throttled, long clockLate, long witnessWaited, boolean everyLoopLate, boolean checkerSawTask,
    int kernelSamples, int inCallSamples) {

  /** Without it, the freeze would have stayed under the threshold. */
  boolean covers(long part) {
    return part > 0 && freeze - part < threshold;
  }

  /** The kernel showed the loop asleep in a blocking call for at least half of the freeze. */
  boolean asleepInCall() {
    return kernelSamples > 0 && 2 * inCallSamples >= kernelSamples;
  }

  /**
   * The whole process stood still: the clock thread was late over the freeze, and every loop with it. With
   * the loop's schedstat, which already says the loop was not descheduled, the clock thread's lateness is
   * enough (a safepoint stops the loops that are due and leaves the others in epoll).
   */
  boolean processStoodStill() {
    return freeze - clockLate < threshold && (everyLoopLate || schedstat);
  }

  /**
   * The clock thread, or the VM Thread and the busy threads together, spent at least half the clock's lateness
   * waiting for a CPU: the process was starved, not stopped.
   */
  boolean witnessStarved() {
    // An unread wait is -1, below any half lateness.
    return clockLate > 0 && witnessWaited >= clockLate / 2;
  }

  /** For the log line: the figures the cause was decided from, in milliseconds. */
  @Override
  public String toString() {
    return "freeze " + ms(freeze) + " ms; loop thread " + (schedstat ? "ran " + ms(ran) + " ms, waited for a CPU "
        + ms(waited) + " ms" : "schedstat unread") + "; GC " + ms(gc) + " ms; throttled " + throttled
        + "; clock thread late " + ms(clockLate) + " ms" + (witnessWaited < 0 ? "" : "; it, or the VM and"
        + " hashing threads, waited for a CPU " + ms(witnessWaited) + " ms") + "; every loop late " + everyLoopLate
        + "; checker saw a task " + checkerSawTask + (kernelSamples == 0 ? "" : "; asleep in a blocking call in "
        + inCallSamples + " of " + kernelSamples + " kernel samples");
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
