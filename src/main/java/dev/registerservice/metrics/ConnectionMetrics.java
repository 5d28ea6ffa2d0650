package dev.registerservice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Traffic-port connections: open now, accepted, closed by reason, and requests refused at the protocol level.
 * Management connections are not counted.
 */
public final class ConnectionMetrics {
  private final AtomicLong open = new AtomicLong();
  private final Counter accepted;
  private final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);
  private final Map<RejectReason, Counter> rejected = new EnumMap<>(RejectReason.class);

  public ConnectionMetrics(MeterRegistry registry) {
    Gauge.builder("http.server.connections.open", open, AtomicLong::get)
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
          .description("Requests refused with a 4xx before any handler ran, by reason")
          .tag("reason", reason.label())
          .register(registry));
    }
  }

  public void rejected(RejectReason reason) {
    rejected.get(reason).increment();
  }

  /** Counts an accepted connection and returns how many are open now, itself included. */
  public long opened() {
    accepted.increment();
    return open.incrementAndGet();
  }

  public void closed(CloseReason reason) {
    open.decrementAndGet();
    closed.get(reason).increment();
  }
}
