package dev.registerservice.metrics;

import dev.registerservice.transport.http1.RejectReason;
import dev.registerservice.transport.CloseReason;
import dev.registerservice.transport.ConnectionRecorder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Traffic-port connections: open now, accepted, closed by reason, and requests refused at the protocol level.
 * Management connections are not counted. Every series is registered when bound, with all its tag values.
 * Bind before recording.
 */
public final class ConnectionMetrics implements MeterBinder, ConnectionRecorder {
  private final LongSupplier openNow;
  private Counter accepted;
  private final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);
  private final Map<RejectReason, Counter> rejected = new EnumMap<>(RejectReason.class);

  /** @param openNow the traffic connections open now, as the transport counts them */
  public ConnectionMetrics(LongSupplier openNow) {
    this.openNow = openNow;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("http.server.connections.open", openNow::getAsLong)
        .description("Traffic connections open now")
        .register(registry);
    accepted = Counter.builder("http.server.connections.accepted")
        .description("Traffic connections accepted")
        .register(registry);
    for (CloseReason reason : CloseReason.values()) {
      closed.put(reason, Counter.builder("http.server.connections.closed")
          .description("Traffic connections closed, by reason")
          .tag("reason", reason.label())
          .register(registry));
    }
    for (RejectReason reason : RejectReason.values()) {
      rejected.put(reason, Counter.builder("http.server.requests.rejected")
          .description("Requests refused by the protocol checks before any handler ran (400, 414, 431, 501, 505), by reason")
          .tag("reason", reason.label())
          .register(registry));
    }
  }

  @Override
  public void accepted() {
    accepted.increment();
  }

  @Override
  public void closed(CloseReason reason) {
    closed.get(reason).increment();
  }

  @Override
  public void rejected(RejectReason reason) {
    rejected.get(reason).increment();
  }
}
