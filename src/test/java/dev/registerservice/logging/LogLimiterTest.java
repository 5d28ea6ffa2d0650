package dev.registerservice.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogLimiterTest {
  private final AtomicLong clock = new AtomicLong(1_000);
  private final LogLimiter limiter = new LogLimiter(Duration.ofNanos(100), clock::get);

  @Test
  void firstLineIsWrittenThenOneAtMostPerInterval() {
    assertThat(limiter.admit()).isEqualTo(OptionalLong.of(0));
    assertThat(limiter.admit()).isEmpty();
    clock.addAndGet(99);
    assertThat(limiter.admit()).isEmpty();
    clock.addAndGet(1);
    assertThat(limiter.admit()).as("the two held back are reported").isEqualTo(OptionalLong.of(2));
    assertThat(limiter.admit()).isEmpty();
  }

  @Test
  void theIntervalStartsAgainFromTheLineWrittenNotFromTheFirst() {
    limiter.admit();
    clock.addAndGet(250);
    assertThat(limiter.admit()).isEqualTo(OptionalLong.of(0));
    clock.addAndGet(99);
    assertThat(limiter.admit()).isEmpty();
    clock.addAndGet(1);
    assertThat(limiter.admit()).isEqualTo(OptionalLong.of(1));
  }

  @Test
  void aNanoTimeThatWrapsAroundStillCounts() {
    clock.set(Long.MAX_VALUE - 10);
    LogLimiter wrapping = new LogLimiter(Duration.ofNanos(100), clock::get);
    assertThat(wrapping.admit()).isPresent();
    clock.addAndGet(50);
    assertThat(wrapping.admit()).isEmpty();
    clock.addAndGet(50);
    assertThat(wrapping.admit()).isEqualTo(OptionalLong.of(1));
  }

  @Test
  void aNegativeIntervalIsRefused() {
    assertThatThrownBy(() -> new LogLimiter(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class);
  }
}
