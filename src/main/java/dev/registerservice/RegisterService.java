package dev.registerservice;

import dev.registerservice.config.ConfigLoader;
import dev.registerservice.config.ServiceConfig;
import dev.registerservice.http.TrafficVerticle;
import dev.registerservice.internal.Internals;
import dev.registerservice.management.ManagementServer;
import dev.registerservice.metrics.AbortLogSummary;
import dev.registerservice.metrics.PrometheusHygiene;
import dev.registerservice.registration.HashingPool;
import dev.registerservice.stall.LoopWatch;
import dev.registerservice.storage.Database;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.ChannelPipeline;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Builds the running service once: config, the one meter registry, the traffic Vert.x on native epoll with
 * one {@link TrafficVerticle} per event loop, the event-loop probes, and the management server on its own
 * single-loop Vert.x. {@link Main} runs it as a process; tests start it in-process on port 0.
 */
public final class RegisterService {
  private static final Logger log = LogManager.getLogger(RegisterService.class);
  private static final long START_TIMEOUT_SECONDS = 30;
  private static final long ABORT_SUMMARY_SECONDS = 10;

  private final ServiceConfig config;
  private final Vertx traffic;
  private final Vertx management;
  private final PrometheusMeterRegistry registry;
  private final List<HttpServer> servers;
  private final ManagementServer managementServer;
  private final LoopWatch loopWatch;
  private final GracefulShutdown shutdown;
  private final HashingPool hashing;
  private final Database database;

  private RegisterService(ServiceConfig config, Vertx traffic, Vertx management, PrometheusMeterRegistry registry,
      List<HttpServer> servers, ManagementServer managementServer, LoopWatch loopWatch, GracefulShutdown shutdown,
      HashingPool hashing, Database database) {
    this.hashing = hashing;
    this.database = database;
    this.config = config;
    this.traffic = traffic;
    this.management = management;
    this.registry = registry;
    this.servers = servers;
    this.managementServer = managementServer;
    this.loopWatch = loopWatch;
    this.shutdown = shutdown;
  }

  /**
   * Starts everything and returns once both ports listen: {@link #deploy} awaited, for {@link Main} and tests.
   * Blocks the calling thread, which must not be an event loop.
   *
   * @param env the environment ({@code System.getenv()} in production)
   * @throws dev.registerservice.config.ConfigException for a bad setting (the message names it)
   * @throws StartupException when the service cannot start for another reason (the message says why)
   */
  public static RegisterService start(Map<String, String> env) {
    return Startup.await(deploy(env), START_TIMEOUT_SECONDS);
  }

  /**
   * Starts everything; completes once both ports listen and the service is ready, or fails with a one-line
   * reason after closing whatever had started.
   */
  public static Future<RegisterService> deploy(Map<String, String> env) {
    Vertx management = VertxInstances.management();
    return ConfigLoader.load(management, env)
        // Building the parts loads and initialises most classes (seconds on a busy machine): off the loops.
        .compose(config -> Startup.onOwnThread("startup", () -> {
          PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
          registry.config().meterFilter(new PrometheusHygiene());
          Vertx traffic = VertxInstances.traffic(config, registry);
          try {
            return assemble(config, traffic, management, registry).onFailure(err -> traffic.close());
          } catch (RuntimeException e) {
            traffic.close();
            throw e;
          }
        }))
        .compose(started -> started)
        // Not waited for: a Vert.x closing cannot complete a future on its own loop.
        .onFailure(err -> management.close());
  }

  /** The start-up sequence over the parts: traffic port, management port, warm-up, then ready. */
  private static Future<RegisterService> assemble(ServiceConfig config, Vertx traffic, Vertx management,
      PrometheusMeterRegistry registry) {
    ServiceParts parts;
    try {
      parts = ServiceParts.build(config, traffic, management, registry);
    } catch (IllegalStateException e) {
      throw new StartupException(e.getMessage());
    }
    parts.loopWatch().start();
    AtomicBoolean shuttingDown = new AtomicBoolean();
    Future<List<HttpServer>> listening = listenOnTraffic(traffic, parts, shuttingDown);
    Future<ManagementServer> managed = listening.compose(servers -> listenOnManagement(management, parts));
    Future<RegisterService> started = managed
        .compose(managementServer -> StartupWarmup.start(config.http().host(),
            listening.result().get(0).actualPort(), config.http().warmupRequests(), config.management().host(),
            managementServer.port()))
        .map(warmedUp -> ready(parts, traffic, management, listening.result(), managed.result(), shuttingDown));
    return started.recover(err -> {
      parts.close();
      if (managed.succeeded()) {
        return managed.result().close().transform(closed -> Future.failedFuture(err));
      }
      return Future.failedFuture(err);
    });
  }

  private static Future<List<HttpServer>> listenOnTraffic(Vertx traffic, ServiceParts parts,
      AtomicBoolean shuttingDown) {
    ServiceConfig config = parts.config();
    return deployTraffic(traffic, config.http().loops(), () -> new TrafficVerticle(config.http(), config.limits(),
        config.eventLoops(), parts.routes(), parts.connections(), parts.openConnections(), shuttingDown::get,
        parts.trafficAccepts()))
        .recover(err -> Future.failedFuture(new StartupException("cannot listen on traffic port "
            + config.http().host() + ":" + config.http().port() + ": " + err.getMessage())));
  }

  private static Future<ManagementServer> listenOnManagement(Vertx management, ServiceParts parts) {
    ServiceConfig config = parts.config();
    return ManagementServer.start(management, config.management().host(), config.management().port(),
        parts.registry(), parts.readiness(), config.eventLoops().readyMaxLagMs(), parts.loopWatch()::anyLoopStalled,
        parts.loopWatch()::worstRecentP99Millis, connection -> {
          ChannelPipeline pipeline = Internals.pipelineOf(connection);
          if (pipeline != null) {
            parts.managementAccepts().watch(pipeline);
          }
        })
        .recover(err -> Future.failedFuture(new StartupException("cannot listen on management port "
            + config.management().host() + ":" + config.management().port() + ": " + err.getMessage())));
  }

  /** Both ports listen and the warm-up is done: count traffic, turn ready, start the database and the stall count. */
  private static RegisterService ready(ServiceParts parts, Vertx traffic, Vertx management, List<HttpServer> servers,
      ManagementServer managementServer, AtomicBoolean shuttingDown) {
    ServiceConfig config = parts.config();
    parts.startCountingTraffic();
    parts.readiness().listening();
    // Only now, so that a start-up failure above leaves no PostgreSQL behind; readiness never waits for it.
    parts.database().start();
    // Deploying on the loops loads classes for a few hundred ms; that is start-up, not a stall.
    parts.loopWatch().arm();
    management.setPeriodic(TimeUnit.SECONDS.toMillis(ABORT_SUMMARY_SECONDS),
        new AbortLogSummary(parts.aborts(), ABORT_SUMMARY_SECONDS)::runOnTimer);
    GracefulShutdown shutdown = new GracefulShutdown(management, parts.readiness(), shuttingDown, servers,
        parts.inFlight(), parts.openConnections(), config.shutdown().drainDelaySeconds(),
        config.shutdown().timeoutSeconds());
    log.info("Connections: {}", parts.connectionCap().describe());
    log.info("Listening: traffic on {}:{} ({} event loops, transport {}), management on {}:{}; config from {};"
            + " page {} bytes in {}-byte chunks",
        config.http().host(), servers.get(0).actualPort(), config.http().loops(),
        VertxInstances.transportName(traffic), config.management().host(), managementServer.port(),
        config.source(), parts.page().length(), config.page().chunkSize());
    return new RegisterService(config, traffic, management, parts.registry(), servers, managementServer,
        parts.loopWatch(), shutdown, parts.hashing(), parts.database());
  }

  /** One verticle per event loop; completes with their servers once every one listens. */
  private static Future<List<HttpServer>> deployTraffic(Vertx traffic, int loops,
      Supplier<TrafficVerticle> verticle) {
    List<TrafficVerticle> verticles = new CopyOnWriteArrayList<>();
    return traffic.deployVerticle(() -> {
      TrafficVerticle instance = verticle.get();
      verticles.add(instance);
      return instance;
    }, new DeploymentOptions().setInstances(loops))
        .map(id -> verticles.stream().map(TrafficVerticle::server).toList());
  }

  public int httpPort() {
    return servers.get(0).actualPort();
  }

  public int managementPort() {
    return managementServer.port();
  }

  public ServiceConfig config() {
    return config;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The traffic Vert.x; tests deploy test-only verticles on its event loops. */
  Vertx trafficVertx() {
    return traffic;
  }

  /** True when the traffic server runs on native epoll. */
  public boolean nativeTransport() {
    return traffic.isNativeTransportEnabled();
  }

  /** The SIGTERM sequence; completes with the process exit code once traffic has stopped, then closes the rest. */
  public Future<Integer> drainAndStop() {
    return shutdown.run().compose(code -> close().map(code));
  }

  /** Closes everything at once (tests; or after the drain). */
  public Future<Void> close() {
    loopWatch.close();
    hashing.close();
    // The pool runs on the traffic Vert.x: close it (and stop an embedded PostgreSQL) first.
    return database.close()
        .eventually(traffic::close)
        .eventually(managementServer::close)
        .eventually(management::close)
        .eventually(() -> {
          registry.close();
          return Future.succeededFuture();
        });
  }
}
