package dev.registerservice;

import dev.registerservice.config.ConfigLoader;
import dev.registerservice.config.RegistrationConfig;
import dev.registerservice.config.ServiceConfig;
import dev.registerservice.http.AccessLog;
import dev.registerservice.http.PageHeaders;
import dev.registerservice.http.RegisterPage;
import dev.registerservice.http.RegisterPageHandler;
import dev.registerservice.http.ResponseTracker;
import dev.registerservice.http.RegistrationHandler;
import dev.registerservice.http.RouteTable;
import dev.registerservice.http.TrafficVerticle;
import dev.registerservice.internal.Internals;
import dev.registerservice.transport.OpenConnections;
import dev.registerservice.management.ManagementServer;
import dev.registerservice.management.Readiness;
import dev.registerservice.metrics.AbortLogSummary;
import dev.registerservice.metrics.AbortMetrics;
import dev.registerservice.metrics.BuildInfo;
import dev.registerservice.metrics.ConnectionMetrics;
import dev.registerservice.metrics.PrometheusHygiene;
import dev.registerservice.metrics.RequestMetrics;
import dev.registerservice.metrics.ResponseMetrics;
import dev.registerservice.registration.HashingPool;
import dev.registerservice.registration.HashingPoolMetrics;
import dev.registerservice.registration.Registrar;
import dev.registerservice.registration.RegistrationMetrics;
import dev.registerservice.stall.LoopWatch;
import dev.registerservice.storage.Database;
import dev.registerservice.storage.DatabaseMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
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

  private static Future<RegisterService> assemble(ServiceConfig config, Vertx traffic, Vertx management,
      PrometheusMeterRegistry registry) {
    String transport = VertxInstances.transportName(traffic);
    boolean metricsOn = config.management().metricsEnabled();
    // With metrics off, every binder is bound to a registry that exports nothing (an empty composite, whose
    // meters do nothing): the code that records is the same either way, and /metrics shows no series.
    MeterRegistry meters = metricsOn ? registry : new CompositeMeterRegistry();
    // What users do (requests, responses, aborts, connections, registrations) is counted from ready on: those
    // meters live in a composite that gets the registry only once the warm-up is over. Until then it has no
    // registry and its meters record nothing; adding one gives each meter its exported twin, at zero.
    CompositeMeterRegistry trafficMeters = new CompositeMeterRegistry();

    // Process meters.
    String version = RegisterService.class.getPackage().getImplementationVersion();
    new BuildInfo(version == null ? "dev" : version, Internals.vertxVersion(), transport).bindTo(meters);
    new FileDescriptorMetrics().bindTo(meters);

    // The page.
    RegisterPage page = RegisterPage.render(config.page().bodyBytes(), config.page().chunkSize());
    ResponseTracker inFlight = new ResponseTracker();
    ResponseMetrics responses = new ResponseMetrics(inFlight::inFlight);
    responses.bindTo(trafficMeters);
    OpenConnections openConnections = new OpenConnections();
    ConnectionMetrics connections = new ConnectionMetrics(openConnections::count);
    connections.bindTo(trafficMeters);
    AccessLog accessLog = new AccessLog(config.http().accessLog());
    RegisterPageHandler registerPage =
        new RegisterPageHandler(page, inFlight, responses, accessLog, config.http().writeQueueBytes());

    // Registration: hashing and the database.
    RegistrationConfig registration = config.registration();
    HashingPool hashing = HashingPool.start(registration);
    new HashingPoolMetrics(hashing).bindTo(meters);
    Database database = Database.create(traffic, config.database());
    new DatabaseMetrics(database).bindTo(meters);
    RegistrationHandler registrations = new RegistrationHandler(new Registrar(hashing, database),
        new RegistrationMetrics(trafficMeters), inFlight, registration.maxBodyBytes(), accessLog);

    // The routes.
    RouteTable.Builder table = RouteTable.builder()
        .get(RegisterPageHandler.ROUTE, PageHeaders.around(registerPage::handle))
        .head(RegisterPageHandler.ROUTE, PageHeaders.around(registerPage::handle))
        .route(HttpMethod.POST, RegisterPageHandler.ROUTE, registrations::register)
        .get(RegistrationHandler.REGISTERED_ROUTE, registrations::registered)
        .head(RegistrationHandler.REGISTERED_ROUTE, registrations::registered)
        .get("/favicon.ico", registrations::favicon)
        .head("/favicon.ico", registrations::favicon);
    RequestMetrics requests =
        new RequestMetrics(table.paths(), RouteTable.RECOGNISED.stream().map(HttpMethod::name).toList());
    requests.bindTo(trafficMeters);
    AbortMetrics aborts = new AbortMetrics(table.exchanges());
    aborts.bindTo(trafficMeters);
    RouteTable routes = table.build(requests, aborts);

    LoopWatch loopWatch = LoopWatch.create(traffic, config.http().loops(), config.eventLoops(),
        hashing.threadIds());
    loopWatch.bindTo(meters);
    loopWatch.start();

    // Health.
    Readiness readiness = new Readiness();

    readiness.database(database::status);

    // Start-up: traffic port, management port, warm-up, then ready.
    AtomicBoolean shuttingDown = new AtomicBoolean();
    Future<List<HttpServer>> listening = deployTraffic(traffic, config.http().loops(), () -> new TrafficVerticle(
        config.http(), config.limits(), routes, connections, openConnections, shuttingDown::get));
    Future<ManagementServer> managed = listening.compose(servers -> ManagementServer.start(management,
        config.management().host(), config.management().port(), registry, readiness,
        config.eventLoops().readyMaxLagMs(),
        loopWatch::anyLoopStalled, loopWatch::worstRecentP99Millis));
    Future<RegisterService> started = managed
        .compose(managementServer -> StartupWarmup.start(config.http().host(),
            listening.result().get(0).actualPort(), config.http().warmupRequests()))
        .map(warmedUp -> {
          List<HttpServer> servers = listening.result();
          ManagementServer managementServer = managed.result();
          if (metricsOn) {
            trafficMeters.add(registry);
          }
          readiness.listening();
          // Only now, so that a start-up failure above leaves no PostgreSQL behind; readiness never waits for it.
          database.start();
          // Deploying on the loops loads classes for a few hundred ms; that is start-up, not a stall.
          loopWatch.arm();
          management.setPeriodic(TimeUnit.SECONDS.toMillis(ABORT_SUMMARY_SECONDS),
              new AbortLogSummary(aborts, ABORT_SUMMARY_SECONDS)::runOnTimer);
          GracefulShutdown shutdown = new GracefulShutdown(management, readiness, shuttingDown, servers, inFlight,
              openConnections, config.shutdown().drainDelaySeconds(), config.shutdown().timeoutSeconds());
          log.info("Listening: traffic on {}:{} ({} event loops, transport {}), management on {}:{}; config from {};"
                  + " page {} bytes in {}-byte chunks",
              config.http().host(), servers.get(0).actualPort(), config.http().loops(), transport,
              config.management().host(), managementServer.port(), config.source(), page.length(),
              config.page().chunkSize());
          return new RegisterService(config, traffic, management, registry, servers, managementServer, loopWatch,
              shutdown, hashing, database);
        });
    return started.recover(err -> {
      loopWatch.close();
      hashing.close();
      if (managed.succeeded()) {
        return managed.result().close().transform(closed -> Future.failedFuture(err));
      }
      return Future.failedFuture(err);
    });
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
