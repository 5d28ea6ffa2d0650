package dev.registerservice.stall;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.config.ServiceConfig;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The merge of the two witnesses into freezes, with every clock in the test's hands: the lag probe's ticks and
 * the blocked-thread checker's reports go in, the stall clock's wake-ups are called by the test, and each
 * freeze is counted exactly once, 200 ms after it ended. Threshold 100 ms; the loops ran all along (the
 * recorded CPU time grows with the clock), so every counted freeze is {@code blocked}.
 */
class StallDetectorTest {
  private static final ServiceConfig.EventLoops RULES = new ServiceConfig.EventLoops(10, 100, 0);
  private final AtomicLong now = new AtomicLong(TimeUnit.SECONDS.toNanos(100));
  private final List<EventLoop> loops = List.of(new EventLoop(0, new Thread("loop-0"), null),
      new EventLoop(1, new Thread("loop-1"), null));
  /** When the task a loop runs started, as the checker's stack check asks: 0, idle. */
  private final AtomicLong taskStart = new AtomicLong();
  private final StallDetector detector = new StallDetector(loops, RULES, now::get, thread -> taskStart.get(),
      sample -> {
        for (int loop = 0; loop < 2; loop++) {
          sample.schedstat[loop] = true;
          sample.cpuNanos[loop] = now.get();
        }
      }, (start, end) -> 0, new StallLog(2, 100, now::get));

  private static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }

  /** Moves the clock on, the stall clock waking every 25 ms on the way, as its thread would. */
  private void advance(long millis) {
    for (long left = millis; left > 0; left -= 25) {
      now.addAndGet(ms(Math.min(25, left)));
      detector.settle(now.get());
    }
  }

  private long blocked(int loop) {
    return detector.count(loop, StallCause.BLOCKED);
  }

  @Test
  void aLateTickAloneIsOneFreezeCountedOnceItHasSettled() {
    detector.arm();
    advance(300);
    detector.onTick(0, now.get(), ms(150));
    advance(150);
    assertThat(blocked(0)).as("not yet settled").isZero();
    advance(100);
    assertThat(blocked(0)).isEqualTo(1);
    advance(1000);
    assertThat(blocked(0)).as("once").isEqualTo(1);
    assertThat(blocked(1)).isZero();
  }

  @Test
  void theCheckersRecordAndTheLateTickOfTheSameFreezeAreOneStall() {
    detector.arm();
    advance(300);
    // The checker sees loop 1 blocked for 120 ms, twice (it reports every interval while it lasts).
    detector.onBlocked(loops.get(1).thread(), ms(120));
    assertThat(detector.anyLoopStalled()).isTrue();
    advance(50);
    detector.onBlocked(loops.get(1).thread(), ms(170));
    advance(50);
    // The loop runs its probe again: 220 ms late.
    detector.onTick(1, now.get(), ms(220));
    assertThat(detector.anyLoopStalled()).isFalse();
    advance(500);
    assertThat(blocked(1)).isEqualTo(1);
    assertThat(blocked(0)).isZero();
  }

  @Test
  void twoFreezesAreTwoStallsAndShortLatenessIsNone() {
    detector.arm();
    advance(300);
    detector.onTick(0, now.get(), ms(110));
    advance(400);
    detector.onTick(0, now.get(), ms(99));
    detector.onTick(0, now.get() + ms(10), ms(100));
    advance(400);
    detector.onTick(0, now.get(), ms(400));
    advance(400);
    assertThat(blocked(0)).isEqualTo(2);
  }

  @Test
  void aFreezeThatBeganBeforeTheDetectorWasArmedIsStartUpNotAStall() {
    advance(300);
    detector.arm();
    advance(50);
    detector.onTick(0, now.get(), ms(200));
    detector.onBlocked(loops.get(1).thread(), ms(300));
    advance(500);
    assertThat(blocked(0)).isZero();
    assertThat(blocked(1)).isZero();
    assertThat(detector.anyLoopStalled()).isFalse();
  }
}
