package dev.registerservice.metrics;

import dev.registerservice.transport.AcceptError;
import dev.registerservice.transport.AcceptGate;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What bounds the number of connections: the traffic cap in force ({@code http_server_connections_max}) and
 * the accepts the kernel refused, on either port, by errno ({@code http_server_accept_failures_total}).
 * Process-wide, counted from start. Every series is registered when bound. Bind before recording.
 */
public final class ConnectionLimitMetrics implements MeterBinder, AcceptGate.Failures {
  public static final List<String> SERVERS = List.of("traffic", "management");
  private final long cap;
  private final Map<String, Map<AcceptError, Counter>> failures = new HashMap<>();

  /** @param cap the traffic connection cap in force ({@code ConnectionCap.effective}) */
  public ConnectionLimitMetrics(long cap) {
    this.cap = cap;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("http.server.connections.max", () -> cap)
        .description("Traffic connections that may be open at once; past it a new one is closed at accept (overload)")
        .register(registry);
    for (String server : SERVERS) {
      Map<AcceptError, Counter> byError = new EnumMap<>(AcceptError.class);
      for (AcceptError error : AcceptError.values()) {
        byError.put(error, Counter.builder("http.server.accept.failures")
            .description("Connections the kernel refused to accept, by port and errno (emfile: the process's"
                + " file-descriptor limit)")
            .tag("server", server)
            .tag("errno", error.label())
            .register(registry));
      }
      failures.put(server, byError);
    }
  }

  @Override
  public void failed(String server, AcceptError error) {
    failures.get(server).get(error).increment();
  }
}
