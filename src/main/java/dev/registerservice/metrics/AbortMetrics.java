package dev.registerservice.metrics;

import dev.registerservice.transport.AbortCause;
import dev.registerservice.transport.AbortPhase;
import dev.registerservice.transport.AbortRecorder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;

/**
 * Responses that did not reach their client, by cause, phase, route and method
 * ({@code http_server_client_aborts_total}), and the body bytes that had gone out when the client went away.
 * One {@link AbortRecorder} per (route, method) the route table serves, plus one for everything it answers
 * itself (404, 405, 501): the tags stay bounded, and every series is registered when bound, so the scrape
 * never changes shape. Bind before recording.
 */
public final class AbortMetrics implements MeterBinder {
  /** One (route, method) pair: a row of counters. */
  public record RouteMethod(String route, String method) {
  }

  private final List<RouteMethod> routeMethods;
  private final Row[] rows;
  private DistributionSummary sentBytes;

  public AbortMetrics(List<RouteMethod> routeMethods) {
    this.routeMethods = List.copyOf(routeMethods);
    this.rows = new Row[routeMethods.size()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = new Row();
    }
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (int i = 0; i < rows.length; i++) {
      RouteMethod routeMethod = routeMethods.get(i);
      for (AbortCause cause : AbortCause.values()) {
        for (AbortPhase phase : AbortPhase.values()) {
          rows[i].counters[cause.ordinal()][phase.ordinal()] = Counter.builder("http.server.client.aborts")
              .description("Responses that did not reach their client because it went away, by errno and phase")
              .tag("cause", cause.label())
              .tag("phase", phase.label())
              .tag("route", routeMethod.route())
              .tag("method", routeMethod.method())
              .register(registry);
        }
      }
    }
    sentBytes = DistributionSummary.builder("http.server.client.abort.sent")
        .description("Body bytes whose writes had completed when the client went away")
        .baseUnit("bytes")
        .register(registry);
  }

  /** The recorder of the {@code index}-th routeMethod given to the constructor. */
  public AbortRecorder recorder(int index) {
    return rows[index];
  }

  /** Total aborts for one cause over all routes, methods and phases; read by the periodic log summary. */
  public long abortCount(AbortCause cause) {
    long total = 0;
    for (Row row : rows) {
      for (Counter c : row.counters[cause.ordinal()]) {
        total += (long) c.count();
      }
    }
    return total;
  }

  private final class Row implements AbortRecorder {
    private final Counter[][] counters = new Counter[AbortCause.values().length][AbortPhase.values().length];

    @Override
    public void aborted(AbortCause cause, AbortPhase phase, long sent) {
      counters[cause.ordinal()][phase.ordinal()].increment();
      sentBytes.record(sent);
    }
  }
}
