package dev.registerservice;

import dev.registerservice.config.ServiceConfig;
import dev.registerservice.config.Transport;
import dev.registerservice.internal.Internals;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The service's two Vert.x instances and the options each needs: a one-loop management instance without the
 * metrics SPI (so a stalled traffic loop cannot hang a probe), and the traffic instance on native epoll with
 * the metrics SPI and the blocked-thread checker tuned to the stall threshold.
 */
public final class VertxInstances {
  private static final Logger log = LogManager.getLogger(VertxInstances.class);

  private VertxInstances() {
  }

  /** The management instance: one loop, one worker (config reading and the warm-up's blocking client). */
  public static Vertx management() {
    return Internals.managementVertx(new VertxOptions()
        .setEventLoopPoolSize(1)
        .setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1)
        .setPreferNativeTransport(true));
  }

  /**
   * The traffic instance. Fails with a {@link StartupException} when epoll is asked for and unavailable
   * (falling back to NIO is silent in Vert.x); warns once when NIO is chosen.
   */
  public static Vertx traffic(ServiceConfig config, PrometheusMeterRegistry registry) {
    int threshold = config.eventLoops().stallThresholdMs();
    VertxOptions options = new VertxOptions()
        .setEventLoopPoolSize(config.http().loops())
        .setPreferNativeTransport(config.http().transport() == Transport.EPOLL);
    // The checker looks often enough to see a block soon after it passes the threshold; stall detection runs
    // with metrics on or off (readiness reads it).
    options.setBlockedThreadCheckInterval(TimeUnit.NANOSECONDS.toMillis(config.eventLoops().checkIntervalNanos()))
        .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
        .setMaxEventLoopExecuteTime(threshold)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS);
    VertxBuilder builder = Vertx.builder();
    if (config.management().metricsEnabled()) {
      options.setMetricsOptions(new MicrometerMetricsOptions()
              .setEnabled(true)
              .setJvmMetricsEnabled(true)
              .setNettyMetricsEnabled(true)
              // RouteTable records requests (RequestMetrics) without Vert.x's per-request meter lookups.
              .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER));
      builder.withMetrics(new MicrometerMetricsFactory(registry));
    }
    Vertx vertx = builder.with(options).build();
    if (config.http().transport() == Transport.EPOLL && !vertx.isNativeTransportEnabled()) {
      Throwable cause = vertx.unavailableNativeTransportCause();
      vertx.close();
      throw new StartupException("native epoll transport unavailable: " + cause
          + " (set REGISTER_TRANSPORT=nio to run on NIO instead)");
    }
    if (!vertx.isNativeTransportEnabled()) {
      log.warn("RUNNING ON THE NIO TRANSPORT (REGISTER_TRANSPORT=nio): native epoll is off; abort causes are read"
          + " from exception messages, not errno");
    }
    return vertx;
  }

  /** The transport's name for logs and {@code build_info}. */
  public static String transportName(Vertx traffic) {
    return traffic.isNativeTransportEnabled() ? "epoll" : "nio";
  }
}
