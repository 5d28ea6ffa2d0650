package dev.registerservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.PageRequests;
import dev.registerservice.testing.Prometheus;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.ServiceProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CPU starvation from outside, seen as an operator sees it (a real Prometheus scraping every second with the
 * rules of {@code k8s/prometheusrule.yaml}): the packaged jar pinned to one core ({@code taskset -a -p -c 0})
 * beside two busy processes of higher priority on that core ({@code nice -n -20 taskset -c 0 yes}) for 8 s,
 * under one client's requests sent one after another.
 * Its loops wait for the CPU: the stalls are counted as {@code starved}, never {@code blocked}, with
 * {@code paused} and {@code unknown} together under half of {@code starved} over the loops (a loop stopped at a
 * safepoint or asleep on a lock that waits for starved threads: see design.md), and
 * {@code eventloop_cpu_wait_seconds_total} shows the wait.
 * Bounds: the hogs run 8 s and are killed in any case; every wait is at most 90 s.
 */
class StarvedStallsPrometheusIT {
  private static final List<String> LOOPS = List.of("vert.x-eventloop-thread-0", "vert.x-eventloop-thread-1");
  private static final List<String> CAUSES = List.of("gc", "throttled", "starved", "blocked", "paused", "unknown");
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final long HOG_SECONDS = 8;
  // -20, not -10: beside nice -10 hogs a woken loop waits ~60 ms for its turn (its weight against theirs), just
  // over a 50 ms threshold on a busy machine and under it on a quiet one; at -20 it waits hundreds of ms.
  private static final int HOG_NICE = -20;

  private static String stalls(String loop, String cause) {
    return "eventloop_stalls_total{cause=\"" + cause + "\",loop=\"" + loop + "\"}";
  }

  private static Map<String, Double> counts(Scrape scrape) {
    Map<String, Double> counts = new LinkedHashMap<>();
    for (String loop : LOOPS) {
      for (String cause : CAUSES) {
        counts.put(stalls(loop, cause), scrape.value(stalls(loop, cause)));
      }
    }
    return counts;
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).inheritIO().start();
    assertThat(process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0).as(String.join(" ", command)).isTrue();
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aServicePinnedBesideHigherPriorityHogsCountsStarvedStallsOnly() throws Exception {
    try (ServiceProcess service = ServiceProcess.start(Map.of("REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS", "0",
        "REGISTER_STALL_THRESHOLD_MS", "50"));
        Prometheus prometheus = Prometheus.start(List.of(service.managementPort()))) {
      int port = service.managementPort();
      String instance = "instance=\"127.0.0.1:" + port + "\"";
      await("the service is scraped").atMost(DEADLINE).ignoreExceptions()
          .until(() -> prometheus.single("up{" + instance + "}") == 1.0);
      await("rules evaluated").atMost(DEADLINE).untilAsserted(() -> assertThat(prometheus.rules().encode())
          .contains("RegisterServiceEventLoopCpuStarved").doesNotContain("\"health\":\"err\""));
      for (String loop : LOOPS) {
        await("the CPU counters of " + loop + " in Prometheus").atMost(DEADLINE).ignoreExceptions().until(() ->
            prometheus.single("eventloop_cpu_seconds_total{" + instance + ", loop=\"" + loop + "\"}") > 0);
      }
      // Warm: the first requests load classes on the loops (a real block, and the JIT's deoptimisation
      // safepoints), which is not what this test is about.
      AtomicBoolean warm = new AtomicBoolean();
      AtomicLong warmed = new AtomicLong();
      Thread warmUp = new Thread(() -> PageRequests.untilDone(service.port(), warm, warmed, 500), "warm-up");
      warmUp.start();
      warmUp.join(TimeUnit.SECONDS.toMillis(60));
      warm.set(true);
      assertThat(warmed.get()).as("warm-up requests").isEqualTo(500);
      Map<String, Double> before = counts(Scrape.of(port));
      int linesBefore = service.output().size();

      run("taskset", "-a", "-p", "-c", "0", String.valueOf(service.pid()));
      List<Process> hogs = new ArrayList<>();
      AtomicBoolean done = new AtomicBoolean();
      AtomicLong requests = new AtomicLong();
      Thread client = new Thread(() -> PageRequests.untilDone(service.port(), done, requests, 1_000_000), "load");
      long startedAt = System.nanoTime();
      try {
        // Requests one after another keep the loops busy enough to queue behind the hogs.
        client.start();
        for (int i = 0; i < 2; i++) {
          hogs.add(new ProcessBuilder("nice", "-n", String.valueOf(HOG_NICE), "taskset", "-c", "0", "yes")
              .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }
        // The contention itself: 8 s of it (not a wait for anything).
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(HOG_SECONDS));
      } finally {
        done.set(true);
        hogs.forEach(Process::destroyForcibly);
        for (Process hog : hogs) {
          hog.waitFor(10, TimeUnit.SECONDS);
        }
        client.join(TimeUnit.SECONDS.toMillis(30));
      }
      System.out.printf("two nice " + HOG_NICE + " hogs on core 0 for %d ms, %d requests meanwhile%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt), requests.get());

      // Starved on every loop, seen by Prometheus as by a direct scrape.
      await("starved stalls on every loop in Prometheus").atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
          .ignoreExceptions().untilAsserted(() -> {
            for (String loop : LOOPS) {
              double starved = prometheus.single("eventloop_stalls_total{" + instance + ", loop=\"" + loop
                  + "\", cause=\"starved\"}");
              assertThat(starved - before.get(stalls(loop, "starved"))).as(loop).isGreaterThanOrEqualTo(1.0);
            }
          });
      // Late attributions land within 200 ms of a freeze's end; give the clock thread time to catch up.
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
      Map<String, Double> after = counts(Scrape.of(port));
      after.forEach((series, value) -> System.out.printf("%s %s -> %s%n", series, before.get(series), value));
      service.output().stream().filter(line -> line.contains("StallLog")).forEach(System.out::println);
      // Known limits (design.md): a loop stopped at a safepoint, or asleep on a lock, that waits for starved
      // threads does not wait for a CPU itself: paused or unknown. Starvation itself must dominate, over the
      // loops together: at least twice as many starved (quiet runs: 0 against 48 starved, 5 against 46, 7 against
      // 42; attributing a safepoint slowed by starved threads is an open issue).
      double other = 0;
      double starved = 0;
      for (String loop : LOOPS) {
        other += after.get(stalls(loop, "paused")) - before.get(stalls(loop, "paused"))
            + after.get(stalls(loop, "unknown")) - before.get(stalls(loop, "unknown"));
        starved += after.get(stalls(loop, "starved")) - before.get(stalls(loop, "starved"));
      }
      assertThat(other).as("paused + unknown stalls while starved, against %s starved", starved)
          .isLessThan(starved / 2);
      for (String loop : LOOPS) {
        assertThat(after.get(stalls(loop, "blocked")) - before.get(stalls(loop, "blocked")))
            .as("blocked stalls on %s while starved", loop).isZero();
        // Over the 8 s, each loop waited for the CPU at least 1 s (in practice most of it).
        double waited = prometheus.single("increase(eventloop_cpu_wait_seconds_total{" + instance + ", loop=\""
            + loop + "\"}[1m])");
        System.out.printf("%s waited for a CPU %.2f s in the last minute (Prometheus)%n", loop, waited);
        assertThat(waited).as("CPU wait of " + loop).isGreaterThan(1.0);
      }
      List<String> logged = service.output().subList(linesBefore, service.output().size());
      assertThat(logged).anyMatch(line -> line.contains("cause starved"))
          .as("no stack logged for a starved loop").noneMatch(line -> line.contains("was blocked for"));
    }
  }
}
