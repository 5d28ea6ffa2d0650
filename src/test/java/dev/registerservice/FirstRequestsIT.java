package dev.registerservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.config.Setting;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.ServiceProcess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The first requests after ready pay nothing: with the default warm-up, 100 requests over every route right
 * after a fresh packaged jar reports ready count no {@code blocked} stall at a 20 ms threshold, while the same
 * requests to a jar started without warm-up (the control, in the same test) do count stalls.
 *
 * <p>On a busy machine a loop can be kept off the CPU by other processes for more than 20 ms at any moment;
 * such a stall is not the first requests' cost and is attributed another cause ({@code paused},
 * {@code unknown}, or the starvation cause): only {@code blocked} (one task of ours held the loop: class
 * loading, a first allocation, interpretation) is held against the warm-up. Bound: each service gets 60 s to
 * get ready; the requests each have a 10 s socket timeout; stall attribution runs 200 ms after a freeze ends, so
 * the scrape is read once every loop's lag probe (every 10 ms) has ticked {@value #SETTLED_TICKS} more times since
 * the requests ended (a second on a quiet machine, longer on a busy one; at most 60 s).
 */
class FirstRequestsIT {
  private static final int REQUESTS = 100;
  private static final int SETTLED_TICKS = 100;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void theFirstHundredRequestsAfterReadyCountNoBlockedStall() throws Exception {
    double[] cold = stallsOfFirstRequests("0");
    double[] warm = stallsOfFirstRequests(Setting.WARMUP_REQUESTS.defaultValue());
    // The control: a cold first request loads classes on a loop for hundreds of ms, so the check can see it.
    assertThat(cold[0]).as("stalls (any cause) of the first requests without warm-up").isPositive();
    assertThat(warm[1]).as("blocked stalls of the first requests after the default warm-up").isZero();
  }

  /** {any cause, blocked} stalls counted over the first {@link #REQUESTS} requests after ready. */
  private static double[] stallsOfFirstRequests(String warmupRequests) throws Exception {
    try (ServiceProcess service = ServiceProcess.start(Map.of(
        "REGISTER_STALL_THRESHOLD_MS", "20",
        "REGISTER_WARMUP_REQUESTS", warmupRequests))) {
      Scrape before = Scrape.of(service.managementPort());
      assertThat(StartupWarmup.run("127.0.0.1", service.port(), REQUESTS)).isEqualTo(REQUESTS);
      Scrape done = Scrape.of(service.managementPort());
      Scrape after = Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
          .until(() -> Scrape.of(service.managementPort()), now -> now.everyLoopTickedSince(done, SETTLED_TICKS));
      List<String> log = service.output().stream().filter(line -> line.contains("StallLog")).toList();
      double any = after.sum("eventloop_stalls_total") - before.sum("eventloop_stalls_total");
      double blocked = after.sum("eventloop_stalls_total", "cause=\"blocked\"")
          - before.sum("eventloop_stalls_total", "cause=\"blocked\"");
      System.out.printf("warm-up %s: %s stalls over the first %d requests, %s blocked; %s%n", warmupRequests, any,
          REQUESTS, blocked, log);
      return new double[] {any, blocked};
    }
  }
}
