package dev.registerservice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Per-response meters: aborted responses by cause, phase and route, bytes that had gone out when the client
 * went away, bytes queued for writing, and responses in flight. Every series is registered when bound, with
 * all its tag values, so the scrape never changes shape. Bind before recording.
 */
public final class ResponseMetrics implements MeterBinder {
  private final List<String> routes;
  private final LongSupplier inFlight;
  private final Map<String, Counter[][]> abortsByRoute = new HashMap<>();
  private final LongAdder queuedBytes = new LongAdder();
  private DistributionSummary abortSentBytes;

  /** @param inFlight responses started and not yet ended, owned by the http layer */
  public ResponseMetrics(List<String> routes, LongSupplier inFlight) {
    this.routes = List.copyOf(routes);
    this.inFlight = inFlight;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (String route : routes) {
      Counter[][] byCause = new Counter[AbortCause.values().length][AbortPhase.values().length];
      for (AbortCause cause : AbortCause.values()) {
        for (AbortPhase phase : AbortPhase.values()) {
          byCause[cause.ordinal()][phase.ordinal()] = Counter.builder("http.server.client.aborts")
              .description("Responses that did not complete because the client went away, by errno and phase")
              .tag("cause", cause.label())
              .tag("phase", phase.label())
              .tag("route", route)
              .register(registry);
        }
      }
      abortsByRoute.put(route, byCause);
    }
    abortSentBytes = DistributionSummary.builder("http.server.client.abort.sent")
        .description("Body bytes whose writes had completed when the client went away")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("http.server.response.queued", queuedBytes, LongAdder::sum)
        .description("Bytes handed to write() whose writes have not completed yet, summed over responses")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("http.server.responses.in.flight", inFlight::getAsLong)
        .description("Responses started and not yet completed or aborted")
        .register(registry);
  }

  public void queued(long bytes) {
    queuedBytes.add(bytes);
  }

  public void aborted(String route, AbortCause cause, AbortPhase phase, long sentBytes) {
    abortsByRoute.get(route)[cause.ordinal()][phase.ordinal()].increment();
    abortSentBytes.record(sentBytes);
  }

  /** Total aborts for one cause over all routes and phases; read by the periodic log summary. */
  public long abortCount(AbortCause cause) {
    long total = 0;
    for (Counter[][] byCause : abortsByRoute.values()) {
      for (Counter c : byCause[cause.ordinal()]) {
        total += (long) c.count();
      }
    }
    return total;
  }
}
