package dev.registerservice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ResponseMetricsTest {

  @Test
  void everySeriesExistsFromTheStartSoTheScrapeNeverChangesShape() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new ResponseMetrics(List.of("/a", "/b"), () -> 0).bindTo(registry);
    assertThat(registry.get("http.server.client.aborts").counters())
        .hasSize(2 * AbortCause.values().length * AbortPhase.values().length);
  }

  @Test
  void abortsAreCountedByCausePhaseAndRouteAndSummedPerCauseForTheLog() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicLong inFlight = new AtomicLong(3);
    ResponseMetrics metrics = new ResponseMetrics(List.of("/a", "/b"), inFlight::get);
    metrics.bindTo(registry);
    metrics.aborted("/a", AbortCause.EPIPE, AbortPhase.MID_BODY, 4096);
    metrics.aborted("/b", AbortCause.EPIPE, AbortPhase.BEFORE_HEADERS, 0);
    metrics.aborted("/a", AbortCause.ECONNRESET, AbortPhase.MID_BODY, 8192);

    assertThat(registry.get("http.server.client.aborts").tags("cause", "epipe", "phase", "mid_body", "route", "/a")
        .counter().count()).isEqualTo(1);
    assertThat(metrics.abortCount(AbortCause.EPIPE)).isEqualTo(2);
    assertThat(metrics.abortCount(AbortCause.ECONNRESET)).isEqualTo(1);
    assertThat(metrics.abortCount(AbortCause.TIMEOUT)).isZero();
    assertThat(registry.get("http.server.client.abort.sent").summary().totalAmount()).isEqualTo(12288);
    assertThat(registry.get("http.server.responses.in.flight").gauge().value()).isEqualTo(3);
    inFlight.set(0);
    assertThat(registry.get("http.server.responses.in.flight").gauge().value()).isZero();
  }

  @Test
  void queuedBytesFollowWhatIsHandedToWriteAndCompleted() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ResponseMetrics metrics = new ResponseMetrics(List.of("/a"), () -> 0);
    metrics.bindTo(registry);
    metrics.queued(4096);
    metrics.queued(4096);
    metrics.queued(-4096);
    assertThat(registry.get("http.server.response.queued").gauge().value()).isEqualTo(4096);
  }
}
