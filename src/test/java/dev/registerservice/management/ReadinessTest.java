package dev.registerservice.management;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ReadinessTest {
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  private static boolean up(HealthChecks checks) throws Exception {
    CheckResult result = checks.checkStatus().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return CheckResult.isUp(result);
  }

  @Test
  void readyOnlyWhileListeningAndNotDraining() throws Exception {
    Readiness readiness = new Readiness();
    HealthChecks checks = HealthChecks.create(vertx);
    readiness.register(checks, 0, () -> true, () -> 1e9);
    assertThat(up(checks)).as("before the traffic port listens").isFalse();
    readiness.listening();
    assertThat(up(checks)).as("listening; the loop check is off, so a stall does not matter").isTrue();
    readiness.draining();
    assertThat(up(checks)).as("draining").isFalse();
  }

  @Test
  void withALagLimitAStalledOrLaggingLoopIsNotReady() throws Exception {
    Readiness readiness = new Readiness();
    HealthChecks checks = HealthChecks.create(vertx);
    AtomicBoolean stalled = new AtomicBoolean();
    AtomicReference<Double> p99 = new AtomicReference<>(5.0);
    readiness.register(checks, 50, stalled::get, p99::get);
    readiness.listening();
    assertThat(up(checks)).isTrue();
    p99.set(51.0);
    assertThat(up(checks)).as("lag p99 over the limit").isFalse();
    p99.set(5.0);
    stalled.set(true);
    assertThat(up(checks)).as("a loop stalled now").isFalse();
  }
}
