package dev.registerservice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ResponseMetricsTest {

  @Test
  void inFlightFollowsItsOwner() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicLong inFlight = new AtomicLong(3);
    new ResponseMetrics(inFlight::get).bindTo(registry);
    assertThat(registry.get("http.server.responses.in.flight").gauge().value()).isEqualTo(3);
    inFlight.set(0);
    assertThat(registry.get("http.server.responses.in.flight").gauge().value()).isZero();
  }

  @Test
  void queuedBytesFollowWhatIsHandedToWriteAndCompleted() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ResponseMetrics metrics = new ResponseMetrics(() -> 0);
    metrics.bindTo(registry);
    metrics.queued(4096);
    metrics.queued(4096);
    metrics.queued(-4096);
    assertThat(registry.get("http.server.response.queued").gauge().value()).isEqualTo(4096);
  }
}
