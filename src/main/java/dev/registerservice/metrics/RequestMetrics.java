package dev.registerservice.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Completed responses by method, route and status code, and how long each took: from the request reaching its
 * handler to the response's last bytes being handed to the connection. A response the client abandoned before
 * its handler ended it is not here; it is an abort ({@link ResponseMetrics}).
 *
 * <p>In place of Vert.x's stock HTTP server meters, whose 5.0.7 implementation builds tags and looks up four
 * meters by name on every request (about a sixth of the event loop's time at saturation). Here a meter is looked
 * up once per (route, method, status) and kept in an array indexed by them; after that, recording is a few adds.
 * A response counts when its handler ends it, as in Vert.x's meters.
 */
public final class RequestMetrics implements MeterBinder {
  /** The {@code route} of a request whose path is in no route. */
  public static final String UNMATCHED = "unmatched";
  /** The {@code method} of a request whose method is not one the route table recognises. */
  public static final String OTHER_METHOD = "other";

  private static final int FIRST_STATUS = 100;
  private static final int STATUSES = 500;
  private static final Duration[] BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30)};

  private MeterRegistry registry;
  private final List<String> routes;
  private final List<String> methods;
  private final AtomicReferenceArray<Timer> timers;

  /**
   * @param routes the route templates; a request is recorded with the index of its route, or
   *     {@code routes.size()} for {@link #UNMATCHED}
   * @param methods the recognised methods; likewise {@code methods.size()} for {@link #OTHER_METHOD}
   */
  public RequestMetrics(List<String> routes, List<String> methods) {
    this.routes = List.copyOf(routes);
    this.methods = List.copyOf(methods);
    this.timers = new AtomicReferenceArray<>((routes.size() + 1) * (methods.size() + 1) * STATUSES);
  }

  /** Its timers are registered on first use, one per (route, method, status): status codes are not known ahead. */
  @Override
  public void bindTo(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Records one completed response that started at {@code startNanos} ({@code System.nanoTime()}). */
  public void completed(int route, int method, int status, long startNanos) {
    long nanos = System.nanoTime() - startNanos;
    if (status < FIRST_STATUS || status >= FIRST_STATUS + STATUSES) {
      timer(route, method, status).record(nanos, TimeUnit.NANOSECONDS);
      return;
    }
    int cell = (route * (methods.size() + 1) + method) * STATUSES + status - FIRST_STATUS;
    Timer timer = timers.get(cell);
    if (timer == null) {
      timer = timer(route, method, status);
      timers.set(cell, timer);
    }
    timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  private Timer timer(int route, int method, int status) {
    return Timer.builder("http.server.requests")
        .description("Responses completed, by method, route and status code, and the time from the request"
            + " reaching its handler to the last bytes handed to the connection")
        .tag("method", method < methods.size() ? methods.get(method) : OTHER_METHOD)
        .tag("route", route < routes.size() ? routes.get(route) : UNMATCHED)
        .tag("code", Integer.toString(status))
        .serviceLevelObjectives(BUCKETS)
        .register(registry);
  }
}
