package dev.registerservice.stall;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The sample ring brackets a freeze with the samples just before and just after it, on made-up times. */
class SamplesTest {

  @Test
  void aFreezeIsReadBetweenTheLastSampleBeforeItAndTheFirstAfterIt() {
    Samples samples = new Samples(4, 1);
    assertThat(samples.before(5)).isNull();
    for (long time : new long[] {10, 20, 30, 40, 50, 60}) {
      samples.next(time).cpuNanos[0] = time * 2;
    }
    // Kept: 30, 40, 50, 60.
    assertThat(samples.before(45).time).isEqualTo(40);
    assertThat(samples.after(45).time).isEqualTo(50);
    assertThat(samples.before(40).time).isEqualTo(40);
    assertThat(samples.after(40).time).isEqualTo(40);
    assertThat(samples.after(45).cpuNanos[0] - samples.before(45).cpuNanos[0]).isEqualTo(20);
    // Older than the ring: the oldest kept; newer than the last: the newest.
    assertThat(samples.before(15).time).isEqualTo(30);
    assertThat(samples.after(99).time).isEqualTo(60);
  }
}
