package dev.registerservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.Promtool;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A traffic loop blocked on purpose shows up as lag, as exactly one stall on that loop, and as a WARN with its stack. */
class LoopLagTest {
  private static final String LOOP_0 = "vert.x-eventloop-thread-0";
  private static final String LOOP_1 = "vert.x-eventloop-thread-1";

  private static RunningService service;
  private static LogCapture log;
  private static final Map<String, Context> contextsByLoop = new ConcurrentHashMap<>();

  /** A test-only verticle: one instance per loop, so we can run a task on a chosen traffic loop. */
  static final class LoopHandle extends VerticleBase {
    @Override
    public Future<?> start() {
      contextsByLoop.put(Thread.currentThread().getName(), context);
      return Future.succeededFuture();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    log = LogCapture.attach();
    service = RunningService.start();
    Vertx traffic = service.service().trafficVertx();
    traffic.deployVerticle(LoopHandle::new, new DeploymentOptions().setInstances(2))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(contextsByLoop).containsOnlyKeys(LOOP_0, LOOP_1);
    warmUp();
  }

  @AfterAll
  static void stop() throws Exception {
    service.close();
    log.close();
  }

  private static void warmUp() throws Exception {
    try (Socket socket = RawHttp.connect(service.port())) {
      InputStream in = socket.getInputStream();
      for (int i = 0; i < 2_000; i++) {
        RawHttp.send(socket, RawHttp.get("/user/register"));
        RawHttp.read(in, false);
      }
    }
    await().atMost(Duration.ofSeconds(30))
        .until(() -> service.scrape().value(lagCount(LOOP_0)) > 10 && service.scrape().value(lagCount(LOOP_1)) > 10);
  }

  private static String stalls(String loop) {
    return "eventloop_stalls_total{loop=\"" + loop + "\"}";
  }

  private static String lagMax(String loop) {
    return "eventloop_lag_seconds_max{loop=\"" + loop + "\"}";
  }

  private static String lagCount(String loop) {
    return "eventloop_lag_seconds_count{loop=\"" + loop + "\"}";
  }

  /**
   * The method the WARN's stack must name. Holds the loop for at least 300 ms and until the test has scraped
   * (at most 10 s), so "a scrape answers while the loop is blocked" does not depend on how fast the machine is.
   */
  private static void blockEventLoopFor300Millis(CountDownLatch started, CountDownLatch scraped,
      AtomicLong endedAt) {
    started.countDown();
    long start = System.nanoTime();
    long atLeast = start + TimeUnit.MILLISECONDS.toNanos(300);
    long atMost = start + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < atMost && (System.nanoTime() < atLeast || scraped.getCount() > 0)) {
      Thread.onSpinWait();
    }
    endedAt.set(System.nanoTime());
  }

  @Test
  void aBlockedLoopIsOneStallWithItsStackAndScrapesStillAnswer() throws Exception {
    Scrape before = service.scrape();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch scraped = new CountDownLatch(1);
    AtomicLong endedAt = new AtomicLong();
    contextsByLoop.get(LOOP_0).runOnContext(v -> blockEventLoopFor300Millis(started, scraped, endedAt));
    assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();

    // The management server lives on its own loop: a scrape answers while traffic loop 0 is blocked.
    Scrape during = service.scrape();
    assertThat(endedAt.get()).as("scrape finished while the loop was still blocked").isZero();
    scraped.countDown();
    assertThat(during.text()).contains("eventloop_lag_seconds_bucket");

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Scrape after = service.scrape();
      assertThat(after.value(stalls(LOOP_0)) - before.value(stalls(LOOP_0))).isEqualTo(1.0);
      assertThat(after.value(lagMax(LOOP_0))).isGreaterThanOrEqualTo(0.25);
      assertThat(log.events().stream().filter(e -> e.getLevel() == Level.WARN
          && e.getMessage().getFormattedMessage().contains(LOOP_0))).hasSize(1);
    });
    Scrape after = service.scrape();
    assertThat(after.value(stalls(LOOP_1))).isEqualTo(before.value(stalls(LOOP_1)));
    for (String loop : List.of(LOOP_0, LOOP_1)) {
      System.out.printf("before/after the 300 ms block: %s %s -> %s, %s %s -> %s%n", lagMax(loop),
          before.value(lagMax(loop)), after.value(lagMax(loop)), stalls(loop), before.value(stalls(loop)),
          after.value(stalls(loop)));
    }

    List<LogEvent> warnings = log.events().stream().filter(e -> e.getLevel() == Level.WARN
        && e.getMessage().getFormattedMessage().contains("was blocked for")).toList();
    assertThat(warnings).hasSize(1);
    LogEvent warning = warnings.get(0);
    assertThat(warning.getMessage().getFormattedMessage()).contains(LOOP_0).containsPattern("blocked for \\d{3,5} ms");
    assertThat(warning.getThrown()).isNotNull();
    assertThat(List.of(warning.getThrown().getStackTrace()))
        .anyMatch(frame -> frame.getMethodName().equals("blockEventLoopFor300Millis"));

    // Lag is measured per loop: loop 1 was not blocked, so its worst lag stays below loop 0's.
    assertThat(after.value(lagMax(LOOP_1))).isLessThan(after.value(lagMax(LOOP_0)));
  }

  @Test
  void normalTrafficAfterWarmUpCountsNoStall() throws Exception {
    Scrape before = service.scrape();
    try (Socket a = RawHttp.connect(service.port()); Socket b = RawHttp.connect(service.port())) {
      for (int i = 0; i < 1_000; i++) {
        RawHttp.send(a, RawHttp.get("/user/register"));
        RawHttp.send(b, RawHttp.get("/user/register"));
        assertThat(RawHttp.read(a.getInputStream(), false).status()).isEqualTo(200);
        assertThat(RawHttp.read(b.getInputStream(), false).status()).isEqualTo(200);
      }
    }
    Scrape after = service.scrape();
    assertThat(after.value(stalls(LOOP_0))).isEqualTo(before.value(stalls(LOOP_0)));
    assertThat(after.value(stalls(LOOP_1))).isEqualTo(before.value(stalls(LOOP_1)));
  }

  @Test
  void histogramHasItsBucketsAndPassesPromtool() throws Exception {
    Scrape scrape = service.scrape();
    assertThat(scrape.series()).containsKeys(
        "eventloop_lag_seconds_bucket{loop=\"" + LOOP_0 + "\",le=\"1.0E-4\"}",
        "eventloop_lag_seconds_bucket{loop=\"" + LOOP_0 + "\",le=\"10.0\"}",
        "eventloop_lag_seconds_bucket{loop=\"" + LOOP_1 + "\",le=\"+Inf\"}",
        "eventloop_pending_tasks{loop=\"" + LOOP_0 + "\"}",
        lagMax(LOOP_1));
    Promtool.Result result = Promtool.checkMetrics(scrape.text());
    assertThat(result.exitCode()).as(result.output()).isZero();
  }
}
