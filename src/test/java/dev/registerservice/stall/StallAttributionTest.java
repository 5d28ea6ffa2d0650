package dev.registerservice.stall;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The attribution on evidence recorded from real stalls (the figures of the service's WARN lines, threshold
 * 100 ms unless said), and on the edges between causes. No clock, no sleeps: the function is pure.
 */
class StallAttributionTest {
  private static final long THRESHOLD = ms(100);

  private static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }

  /** Evidence in milliseconds, schedstat read. */
  private static Evidence seen(long freeze, long ran, long waited, long gc, boolean throttled, long clockLate,
      boolean everyLoopLate, boolean checker) {
    return seen(freeze, ran, waited, gc, throttled, clockLate, -1, everyLoopLate, checker);
  }

  /** As above, with the clock thread's own run-queue wait read (ms). */
  private static Evidence seen(long freeze, long ran, long waited, long gc, boolean throttled, long clockLate,
      long witnessWaited, boolean everyLoopLate, boolean checker) {
    return new Evidence(ms(freeze), THRESHOLD, true, ms(ran), ms(waited), ms(gc), throttled, ms(clockLate),
        witnessWaited < 0 ? -1 : ms(witnessWaited), everyLoopLate, checker, 0, 0);
  }

  /** The same without schedstat (no /proc): what the attribution falls back to. */
  private static Evidence noSchedstat(Evidence e) {
    return new Evidence(e.freeze(), e.threshold(), false, 0, 0, e.gc(), e.throttled(), e.clockLate(),
        e.witnessWaited(), e.everyLoopLate(), e.checkerSawTask(), 0, 0);
  }

  /** The same with {@code samples} reads of the loop's kernel state in the freeze, {@code inCall} asleep in a call. */
  private static Evidence kernel(Evidence e, int samples, int inCall) {
    return new Evidence(e.freeze(), e.threshold(), e.schedstat(), e.ran(), e.waited(), e.gc(), e.throttled(),
        e.clockLate(), e.witnessWaited(), e.everyLoopLate(), e.checkerSawTask(), samples, inCall);
  }

  /** The same at another threshold (ms). */
  private static Evidence atThreshold(long threshold, Evidence e) {
    return new Evidence(e.freeze(), ms(threshold), e.schedstat(), e.ran(), e.waited(), e.gc(), e.throttled(),
        e.clockLate(), e.witnessWaited(), e.everyLoopLate(), e.checkerSawTask(), e.kernelSamples(),
        e.inCallSamples());
  }

  @Test
  void aFullCollectionIsGcWhateverElseTheLoopDid() {
    // GcStallTest: a full collection of a large live heap, on a busy machine.
    assertThat(StallAttribution.cause(seen(240, 1, 12, 248, false, 235, true, false))).isEqualTo(StallCause.GC);
    assertThat(StallAttribution.cause(seen(556, 0, 8, 588, false, 547, true, false))).isEqualTo(StallCause.GC);
    // A GC that leaves more than the threshold unexplained does not decide it alone.
    assertThat(StallAttribution.cause(seen(400, 0, 380, 50, false, 0, false, false))).isEqualTo(StallCause.STARVED);
    // The full suite beside its own starvation test: a collection and a wait for the CPU, neither enough
    // alone; the collection was the longer part (this was "unknown" before GC time counted with the rest).
    assertThat(StallAttribution.cause(seen(358, 10, 150, 227, false, 257, 72, false, false))).isEqualTo(StallCause.GC);
  }

  @Test
  void aLoopThatWaitedForTheCpuIsStarvedNotPausedOrUnknown() {
    // Five helpers' test suites on 2 cores: the clock thread and every loop late too, which without
    // schedstat reads as a process-wide pause.
    Evidence everyoneLate = seen(369, 0, 379, 0, false, 330, true, false);
    assertThat(StallAttribution.cause(everyoneLate)).isEqualTo(StallCause.STARVED);
    assertThat(StallAttribution.cause(noSchedstat(everyoneLate))).isEqualTo(StallCause.PAUSED);
    // Only this loop late: without schedstat, unknown.
    Evidence aloneLate = seen(180, 0, 182, 0, false, 52, false, false);
    assertThat(StallAttribution.cause(aloneLate)).isEqualTo(StallCause.STARVED);
    assertThat(StallAttribution.cause(noSchedstat(aloneLate))).isEqualTo(StallCause.UNKNOWN);
  }

  @Test
  void aTaskThatWasPreemptedIsStarvedSoNoInnocentStackIsLogged() {
    // A task held the loop 321 ms in wall time but ran 34 ms of it: the checker saw it, yet it was the CPU's
    // absence that froze the loop. Without schedstat this was "blocked" with the task's stack.
    Evidence preempted = seen(321, 34, 315, 0, false, 63, true, true);
    assertThat(StallAttribution.cause(preempted)).isEqualTo(StallCause.STARVED);
    assertThat(StallAttribution.cause(noSchedstat(preempted))).isEqualTo(StallCause.BLOCKED);
  }

  @Test
  void ourCodeRunningForTheThresholdAndMostOfTheFreezeIsBlocked() {
    // A 500 ms spin on a quiet machine.
    assertThat(StallAttribution.cause(seen(512, 505, 4, 0, false, 0, false, true))).isEqualTo(StallCause.BLOCKED);
    // The same spin beside two CPU hogs: it took 700 ms of wall time, ran 500 of them.
    assertThat(StallAttribution.cause(seen(700, 500, 190, 0, false, 0, false, true))).isEqualTo(StallCause.BLOCKED);
    // A burst of short tasks: no single one for the checker, the loop ran most of the freeze, and the wait
    // alone would not have made a stall.
    assertThat(StallAttribution.cause(seen(150, 90, 20, 0, false, 0, false, false))).isEqualTo(StallCause.BLOCKED);
  }

  @Test
  void aLoopThatRanLessThanHalfTheFreezeIsNeverBlockedWithoutABlockingCall() {
    // StarvedStallsPrometheusIT on a CI machine (2026-12): the loop ran 1 ms of a 685-753 ms freeze and waited
    // 339-372 ms for a CPU; the checker saw the task that was due. It was counted blocked, with a stack.
    assertThat(StallAttribution.cause(atThreshold(50, seen(753, 1, 372, 0, false, 0, false, true))))
        .isEqualTo(StallCause.STARVED);
    assertThat(StallAttribution.cause(atThreshold(50, seen(685, 1, 339, 0, false, 0, false, true))))
        .isEqualTo(StallCause.STARVED);
    // The same run: 37 ms on the CPU and 23 ms waiting in a 51 ms freeze (threshold 50): without the wait,
    // 28 ms, no stall. Also counted blocked before.
    assertThat(StallAttribution.cause(atThreshold(50, seen(51, 37, 23, 0, false, 0, false, true))))
        .isEqualTo(StallCause.STARVED);
    // The first request's class loading on a busy machine: 256 ms on the CPU inside 2290 ms, 1983 waiting.
    // Our code did run long, but most of the freeze was the CPU's absence.
    assertThat(StallAttribution.cause(seen(2290, 256, 1983, 0, false, 368, true, true))).isEqualTo(StallCause.STARVED);
  }

  @Test
  void aTaskAsleepInABlockingCallIsBlockedWhenTheKernelSaysSo() {
    // Thread.sleep or blocking I/O on the loop: off the CPU, not waiting for one; the kernel had it asleep in
    // a futex or a read in 20 of the 20 samples taken during the freeze.
    Evidence asleep = seen(500, 1, 0, 0, false, 0, false, true);
    assertThat(StallAttribution.cause(kernel(asleep, 20, 20))).isEqualTo(StallCause.BLOCKED);
    // The same on a busy machine: it also waited for a CPU once the call returned.
    assertThat(StallAttribution.cause(kernel(seen(520, 1, 60, 0, false, 0, false, true), 19, 17)))
        .isEqualTo(StallCause.BLOCKED);
    // The kernel's state unreadable: the checker's word alone does not make it blocked.
    assertThat(StallAttribution.cause(asleep)).isEqualTo(StallCause.UNKNOWN);
    // Off the CPU, but never or seldom in a blocking call (parked by the JVM, or in its epoll wait): not blocked.
    assertThat(StallAttribution.cause(kernel(asleep, 20, 0))).isEqualTo(StallCause.UNKNOWN);
    assertThat(StallAttribution.cause(kernel(asleep, 20, 9))).isEqualTo(StallCause.UNKNOWN);
    assertThat(StallAttribution.cause(kernel(asleep, 20, 10))).isEqualTo(StallCause.BLOCKED);
    // Without schedstat at all, the checker is the only witness left.
    assertThat(StallAttribution.cause(noSchedstat(asleep))).isEqualTo(StallCause.BLOCKED);
  }

  @Test
  void aWaitForTheCpuOfAThresholdIsStarvedEvenWhenMostOfTheFreezeIsUnexplained() {
    assertThat(StallAttribution.cause(seen(400, 2, 100, 0, false, 0, false, false))).isEqualTo(StallCause.STARVED);
    assertThat(StallAttribution.cause(seen(400, 2, 100, 0, true, 0, false, false))).isEqualTo(StallCause.THROTTLED);
    assertThat(StallAttribution.cause(seen(400, 2, 99, 0, false, 0, false, false))).isEqualTo(StallCause.UNKNOWN);
  }

  @Test
  void aStoppedProcessIsPausedOrThrottled() {
    // SIGSTOP for 3 s: no thread ran or waited; the clock thread and every loop were late over it.
    Evidence stopped = seen(3010, 2, 6, 0, false, 3001, true, false);
    assertThat(StallAttribution.cause(stopped)).isEqualTo(StallCause.PAUSED);
    assertThat(StallAttribution.cause(noSchedstat(stopped))).isEqualTo(StallCause.PAUSED);
    // The clock thread read its own schedstat: stopped, it did not wait for a CPU either.
    assertThat(StallAttribution.cause(seen(3010, 2, 6, 0, false, 3001, 4, true, false))).isEqualTo(StallCause.PAUSED);
    // A safepoint: the loop that was due stood still with the clock thread; the other loop sat in epoll.
    Evidence safepoint = seen(68, 1, 3, 0, false, 68, false, false);
    assertThat(StallAttribution.cause(safepoint)).isEqualTo(StallCause.PAUSED);
    assertThat(StallAttribution.cause(noSchedstat(safepoint))).isEqualTo(StallCause.UNKNOWN);
    // The same stand-still while the cgroup was throttled.
    assertThat(StallAttribution.cause(seen(420, 3, 10, 0, true, 410, true, false))).isEqualTo(StallCause.THROTTLED);
  }

  @Test
  void waitingWhileTheCgroupWasThrottledIsThrottled() {
    // A throttled cgroup's threads wait on their run queue: the quota, not a neighbour, took the CPU.
    assertThat(StallAttribution.cause(seen(300, 5, 280, 0, true, 0, false, false))).isEqualTo(StallCause.THROTTLED);
  }

  @Test
  void aStandStillWhileTheClockOrVmThreadWaitedForACpuIsStarved() {
    // A safepoint that took long because the threads it waited for were starved: the loop stood still at
    // the safepoint, but the clock thread (or the VM Thread, which begins and ends the safepoint) spent most
    // of the clock's lateness on a run queue: the larger of the two waits is the evidence.
    assertThat(StallAttribution.cause(seen(240, 2, 10, 0, false, 230, 180, true, false))).isEqualTo(StallCause.STARVED);
    assertThat(StallAttribution.cause(seen(240, 2, 10, 0, false, 230, 40, true, false))).isEqualTo(StallCause.PAUSED);
  }

  @Test
  void theEdgesBetweenCausesFallWhereTheRulesSay() {
    // Ran exactly the threshold, exactly half the freeze: blocked, though it waited as long.
    assertThat(StallAttribution.cause(seen(200, 100, 100, 0, false, 0, false, false))).isEqualTo(StallCause.BLOCKED);
    // Ran, waited and GC together exactly half the freeze: the loop's own figures decide.
    assertThat(StallAttribution.cause(seen(180, 0, 90, 0, false, 0, false, false))).isEqualTo(StallCause.STARVED);
    // GC as long as the wait, and not covering the freeze alone: the wait decides.
    assertThat(StallAttribution.cause(seen(300, 0, 100, 100, false, 0, false, false))).isEqualTo(StallCause.STARVED);
    // GC as long as the run: neither decides; nothing else does either.
    assertThat(StallAttribution.cause(seen(300, 100, 0, 100, false, 0, false, false))).isEqualTo(StallCause.UNKNOWN);
    // GC leaving exactly the threshold unexplained does not cover the freeze.
    assertThat(StallAttribution.cause(seen(200, 0, 100, 100, false, 0, false, false))).isEqualTo(StallCause.STARVED);
    // Waited exactly as long as it ran: the wait decides.
    assertThat(StallAttribution.cause(seen(160, 60, 60, 0, false, 0, false, false))).isEqualTo(StallCause.STARVED);
    // A burst of our tasks for exactly half the freeze, the wait not covering it: blocked.
    assertThat(StallAttribution.cause(seen(180, 90, 10, 0, false, 0, false, false))).isEqualTo(StallCause.BLOCKED);
    // The clock thread late all but exactly the threshold: the process did not stand still.
    assertThat(StallAttribution.cause(seen(300, 2, 3, 0, false, 200, true, false))).isEqualTo(StallCause.UNKNOWN);
    // A stand-still in which the witnesses waited exactly half the clock's lateness: starved.
    assertThat(StallAttribution.cause(seen(240, 2, 10, 0, false, 230, 115, true, false))).isEqualTo(StallCause.STARVED);
    assertThat(StallAttribution.cause(seen(240, 2, 10, 0, false, 230, 114, true, false))).isEqualTo(StallCause.PAUSED);
    // A freeze below the threshold (a merged checker record) with the clock on time: no witness counts.
    assertThat(StallAttribution.cause(seen(68, 1, 3, 0, false, 0, 10, false, false))).isEqualTo(StallCause.PAUSED);
  }

  @Test
  void theLogLineNamesTheFiguresInMilliseconds() {
    assertThat(kernel(seen(512, 505, 4, 0, false, 0, 3, false, true), 20, 2).toString()).isEqualTo("freeze 512 ms;"
        + " loop thread ran 505 ms, waited for a CPU 4 ms; GC 0 ms; throttled false; clock thread late 0 ms; it, or"
        + " the VM and hashing threads, waited for a CPU 3 ms; every loop late false; checker saw a task true;"
        + " asleep in a blocking call in 2 of 20 kernel samples");
    assertThat(seen(300, 0, 0, 0, true, 290, 0, true, false).toString())
        .contains("; it, or the VM and hashing threads, waited for a CPU 0 ms;");
    assertThat(noSchedstat(seen(300, 0, 0, 0, true, 290, true, false)).toString()).isEqualTo("freeze 300 ms;"
        + " loop thread schedstat unread; GC 0 ms; throttled true; clock thread late 290 ms; every loop late true;"
        + " checker saw a task false");
  }

  @Test
  void aLoneLoopOffTheCpuWithNothingElseIsUnknown() {
    // Neither ran nor waited, no task seen, the rest of the process ran: nothing explains it.
    assertThat(StallAttribution.cause(seen(200, 2, 3, 0, false, 0, false, false))).isEqualTo(StallCause.UNKNOWN);
  }
}
