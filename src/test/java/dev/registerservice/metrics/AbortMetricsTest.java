package dev.registerservice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.transport.AbortCause;
import dev.registerservice.transport.AbortPhase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class AbortMetricsTest {
  private static final List<AbortMetrics.RouteMethod> ROUTE_METHODS = List.of(
      new AbortMetrics.RouteMethod("/a", "GET"), new AbortMetrics.RouteMethod("/a", "POST"),
      new AbortMetrics.RouteMethod("unmatched", "other"));

  @Test
  void everySeriesExistsFromTheStartSoTheScrapeNeverChangesShape() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new AbortMetrics(ROUTE_METHODS).bindTo(registry);
    assertThat(registry.get("http.server.client.aborts").counters())
        .hasSize(3 * AbortCause.values().length * AbortPhase.values().length);
  }

  @Test
  void abortsAreCountedByCausePhaseRouteAndMethodAndSummedPerCauseForTheLog() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AbortMetrics metrics = new AbortMetrics(ROUTE_METHODS);
    metrics.bindTo(registry);
    metrics.recorder(0).aborted(AbortCause.EPIPE, AbortPhase.MID_BODY, 4096);
    metrics.recorder(1).aborted(AbortCause.EPIPE, AbortPhase.BEFORE_HEADERS, 0);
    metrics.recorder(0).aborted(AbortCause.ECONNRESET, AbortPhase.MID_BODY, 8192);

    assertThat(registry.get("http.server.client.aborts")
        .tags("cause", "epipe", "phase", "mid_body", "route", "/a", "method", "GET").counter().count()).isEqualTo(1);
    assertThat(registry.get("http.server.client.aborts")
        .tags("cause", "epipe", "phase", "before_headers", "route", "/a", "method", "POST").counter().count())
        .isEqualTo(1);
    assertThat(metrics.abortCount(AbortCause.EPIPE)).isEqualTo(2);
    assertThat(metrics.abortCount(AbortCause.ECONNRESET)).isEqualTo(1);
    assertThat(metrics.abortCount(AbortCause.TIMEOUT)).isZero();
    assertThat(registry.get("http.server.client.abort.sent").summary().totalAmount()).isEqualTo(12288);
  }
}
