package dev.registerservice.stall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.LargeHeap;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stop-the-world GC pause longer than the stall threshold freezes every loop, and each loop counts it
 * once as {@code cause="gc"}: a full collection of a large live heap, in this (test) JVM.
 */
class GcStallTest {
  private static final String[] LOOPS = {"vert.x-eventloop-thread-0", "vert.x-eventloop-thread-1"};

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aLongGcPauseIsAGcStallOnEveryLoop() throws Exception {
    try (RunningService service = RunningService.start()) {
      // Let start-up settle, so the freezes we count are the collection's.
      await().atMost(Duration.ofSeconds(20)).until(() -> service.scrape().value(
          "eventloop_lag_seconds_count{loop=\"" + LOOPS[1] + "\"}") > 50);
      Scrape before = service.scrape();
      long pauseMillisBefore = collectionMillis();

      Object[][] live = LargeHeap.fullCollection();
      long collected = collectionMillis() - pauseMillisBefore;
      System.out.printf("GC time during the test: %d ms for %d live arrays%n", collected, live.length);
      assertThat(collected).as("the collections must outlast the 100 ms threshold").isGreaterThan(100);

      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        Scrape after = service.scrape();
        for (String loop : LOOPS) {
          String gc = "eventloop_stalls_total{cause=\"gc\",loop=\"" + loop + "\"}";
          assertThat(after.value(gc) - before.value(gc)).as(gc).isGreaterThanOrEqualTo(1.0);
        }
      });
      Scrape after = service.scrape();
      for (String loop : LOOPS) {
        for (String cause : new String[] {"blocked", "gc", "paused", "throttled", "starved", "unknown"}) {
          String series = "eventloop_stalls_total{cause=\"" + cause + "\",loop=\"" + loop + "\"}";
          System.out.printf("%s %s -> %s%n", series, before.value(series), after.value(series));
        }
      }
      assertThat(live[live.length - 1][999]).isNotNull();
    }
  }

  private static long collectionMillis() {
    return new GcPauses().collectionMillis();
  }
}
