package dev.registerservice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Traffic-port connections: open now, accepted, and closed by reason. Management connections are not counted. */
public final class ConnectionMetrics {
  private final AtomicLong open = new AtomicLong();
  private final Counter accepted;
  private final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);

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

  public long closedCount(CloseReason reason) {
    return (long) closed.get(reason).count();
  }

  public long open() {
    return open.get();
  }
}
