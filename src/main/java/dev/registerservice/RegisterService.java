package dev.registerservice;

import dev.registerservice.config.ConfigLoader;
import dev.registerservice.config.RegistrationConfig;
import dev.registerservice.config.ServiceConfig;
import dev.registerservice.config.Transport;
import dev.registerservice.http.AccessLog;
import dev.registerservice.http.PageHeaders;
import dev.registerservice.http.RegisterPage;
import dev.registerservice.http.RegisterPageHandler;
import dev.registerservice.http.ResponseTracker;
import dev.registerservice.http.RegistrationHandler;
import dev.registerservice.http.RouteTable;
import dev.registerservice.http.TrafficVerticle;
import dev.registerservice.internal.Internals;
import dev.registerservice.internal.OpenConnections;
import dev.registerservice.lifecycle.GracefulShutdown;
import dev.registerservice.lifecycle.StartupException;
import dev.registerservice.lifecycle.StartupWarmup;
import dev.registerservice.management.ManagementServer;
import dev.registerservice.management.Readiness;
import dev.registerservice.metrics.AbortLogSummary;
import dev.registerservice.metrics.BuildInfo;
import dev.registerservice.metrics.ConnectionMetrics;
import dev.registerservice.metrics.EventLoop;
import dev.registerservice.metrics.GcPauses;
import dev.registerservice.metrics.LoopLagProbe;
import dev.registerservice.metrics.PrometheusHygiene;
import dev.registerservice.metrics.ResponseMetrics;
import dev.registerservice.metrics.StallDetector;
import dev.registerservice.process.CgroupCpu;
import dev.registerservice.process.CpuMetrics;
import dev.registerservice.registration.HashingPool;
import dev.registerservice.registration.HashingPoolMetrics;
import dev.registerservice.registration.PasswordHasher;
import dev.registerservice.registration.Registrar;
import dev.registerservice.registration.RegistrationMetrics;
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
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
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
   * Starts everything and returns once both ports listen. Blocks the calling thread, which must not be an
   * event loop.
   *
   * @param env the environment ({@code System.getenv()} in production)
   * @throws dev.registerservice.config.ConfigException for a bad setting (the message names it)
   * @throws StartupException when the service cannot start for another reason (the message says why)
   */
  public static RegisterService start(Map<String, String> env) {
    Vertx management = Internals.managementVertx(new VertxOptions()
        .setEventLoopPoolSize(1)
        .setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1)
        .setPreferNativeTransport(true));
    Vertx traffic = null;
    try {
      ServiceConfig config = await(ConfigLoader.load(management, env));
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      registry.config().meterFilter(new PrometheusHygiene());
      traffic = trafficVertx(config, registry);
      return assemble(config, traffic, management, registry);
    } catch (RuntimeException e) {
      if (traffic != null) {
        traffic.close();
      }
      management.close();
      throw e;
    }
  }

  private static Vertx trafficVertx(ServiceConfig config, PrometheusMeterRegistry registry) {
    int threshold = config.eventLoops().stallThresholdMs();
    VertxOptions options = new VertxOptions()
        .setEventLoopPoolSize(config.http().loops())
        .setPreferNativeTransport(config.http().transport() == Transport.EPOLL);
    VertxBuilder builder = Vertx.builder();
    if (config.management().metricsEnabled()) {
      // The checker looks often enough to see a block soon after it passes the threshold.
      options.setBlockedThreadCheckInterval(Math.max(5, Math.min(threshold / 4, 50)))
          .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
          .setMaxEventLoopExecuteTime(threshold)
          .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
          .setMetricsOptions(new MicrometerMetricsOptions()
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
    return vertx;
  }

  private static RegisterService assemble(ServiceConfig config, Vertx traffic, Vertx management,
      PrometheusMeterRegistry registry) {
    String transport = traffic.isNativeTransportEnabled() ? "epoll" : "nio";
    if (transport.equals("nio")) {
      log.warn("RUNNING ON THE NIO TRANSPORT (REGISTER_TRANSPORT=nio): native epoll is off; abort causes are read"
          + " from exception messages, not errno");
    }
    boolean metricsOn = config.management().metricsEnabled();
    // With metrics off, every binder is bound to a registry that exports nothing (an empty composite, whose
    // meters do nothing): the code that records is the same either way, and /metrics shows no series.
    MeterRegistry meters = metricsOn ? registry : new CompositeMeterRegistry();
    String version = RegisterService.class.getPackage().getImplementationVersion();
    BuildInfo.register(meters, version == null ? "dev" : version, Internals.vertxVersion(), transport);
    new FileDescriptorMetrics().bindTo(meters);
    // Read only with metrics on: its meters and the stall attribution are its only readers.
    Optional<CgroupCpu> cgroup = metricsOn ? CgroupCpu.detect() : Optional.empty();
    new CpuMetrics(cgroup).bindTo(meters);

    RegisterPage page = RegisterPage.render(config.page().bodyBytes(), config.page().chunkSize());
    ResponseTracker inFlight = new ResponseTracker();
    ResponseMetrics responses = new ResponseMetrics(List.of(RegisterPageHandler.ROUTE), inFlight::inFlight);
    responses.bindTo(meters);
    OpenConnections openConnections = new OpenConnections();
    ConnectionMetrics connections = new ConnectionMetrics(openConnections::count);
    connections.bindTo(meters);
    AccessLog accessLog = new AccessLog(config.http().accessLog());
    RegisterPageHandler registerPage =
        new RegisterPageHandler(page, inFlight, responses, accessLog, config.http().writeQueueBytes());
    RegistrationConfig registration = config.registration();
    HashingPool hashing = new HashingPool(new PasswordHasher(registration.argon2MemoryKib(),
        registration.argon2Iterations(), registration.argon2Parallelism()), registration.hashThreads(),
        registration.hashQueue());
    new HashingPoolMetrics(hashing).bindTo(meters);
    Database database = Database.create(traffic, config.database());
    new DatabaseMetrics(database).bindTo(meters);
    RegistrationHandler registrations = new RegistrationHandler(new Registrar(hashing, database),
        new RegistrationMetrics(meters), inFlight, registration.maxBodyBytes(), accessLog);
    RouteTable routes = RouteTable.builder()
        .get(RegisterPageHandler.ROUTE, PageHeaders.around(registerPage::handle))
        .head(RegisterPageHandler.ROUTE, PageHeaders.around(registerPage::handle))
        .route(HttpMethod.POST, RegisterPageHandler.ROUTE, registrations::register)
        .get(RegistrationHandler.REGISTERED_ROUTE, registrations::registered)
        .head(RegistrationHandler.REGISTERED_ROUTE, registrations::registered)
        .get("/favicon.ico", registrations::favicon)
        .head("/favicon.ico", registrations::favicon)
        .build(meters);

    List<EventLoop> loops = Internals.eventLoops(traffic);
    LoopWatch loopWatch = metricsOn ? LoopWatch.start(traffic, registry, loops, config.http().loops(),
        config.eventLoops(), cgroup) : null;

    AtomicBoolean shuttingDown = new AtomicBoolean();
    List<TrafficVerticle> verticles = new CopyOnWriteArrayList<>();
    await(traffic.deployVerticle(() -> {
      TrafficVerticle verticle = new TrafficVerticle(config.http(), config.limits(), routes, connections,
          openConnections, shuttingDown::get);
      verticles.add(verticle);
      return verticle;
    }, new DeploymentOptions().setInstances(config.http().loops())));
    List<HttpServer> servers = verticles.stream().map(TrafficVerticle::server).toList();

    Readiness readiness = new Readiness();
    readiness.database(database::status);
    ManagementServer managementServer = await(ManagementServer.start(management, config.management().host(),
        config.management().port(), registry, readiness, config.eventLoops().readyMaxLagMs(),
        () -> loopWatch != null && loopWatch.stalls().anyLoopStalled(),
        () -> loopWatch == null ? 0 : loopWatch.lag().worstRecentP99Millis()));
    // Before readiness: a new pod must not get its share of traffic with a cold JIT (REGISTER_WARMUP_REQUESTS).
    StartupWarmup.run(config.http().host(), servers.get(0).actualPort(), RegisterPageHandler.ROUTE,
        config.http().warmupRequests());
    readiness.listening();
    // Only now, so that a start-up failure above leaves no PostgreSQL behind; readiness never waits for it.
    database.start();
    if (loopWatch != null) {
      // Deploying on the loops loads classes for a few hundred ms; that is start-up, not a stall.
      loopWatch.stalls().arm();
    }
    management.setPeriodic(TimeUnit.SECONDS.toMillis(ABORT_SUMMARY_SECONDS),
        new AbortLogSummary(responses, ABORT_SUMMARY_SECONDS)::runOnTimer);
    GracefulShutdown shutdown = new GracefulShutdown(management, readiness, shuttingDown, servers, inFlight,
        openConnections, config.shutdown().drainDelaySeconds(), config.shutdown().timeoutSeconds());
    log.info("Listening: traffic on {}:{} ({} event loops, transport {}), management on {}:{}; config from {};"
            + " page {} bytes in {}-byte chunks",
        config.http().host(), servers.get(0).actualPort(), loops.size(), transport, config.management().host(),
        managementServer.port(), config.source(), page.length(), config.page().chunkSize());
    return new RegisterService(config, traffic, management, registry, servers, managementServer, loopWatch,
        shutdown, hashing, database);
  }

  /** The lag probe and the stall detector of the traffic loops, which run only with metrics on. */
  private record LoopWatch(LoopLagProbe lag, StallDetector stalls) {
    static LoopWatch start(Vertx traffic, PrometheusMeterRegistry registry, List<EventLoop> loops,
        int expectedLoops, ServiceConfig.EventLoops config, Optional<CgroupCpu> cgroup) {
      // The stall detector also keeps the cgroup reader alive, which the CPU meters read weakly.
      StallDetector stalls = new StallDetector(registry, loops, config.stallThresholdMs(), Internals::taskStart,
          new GcPauses(), cgroup);
      Internals.onBlockedThread(traffic, stalls::onBlocked);
      LoopLagProbe lag = new LoopLagProbe(registry, loops, config.lagProbeIntervalMs(), stalls,
          Internals::pendingTasks);
      verifyOneProbePerLoop(loops, expectedLoops);
      lag.start();
      return new LoopWatch(lag, stalls);
    }
  }

  /** One probe per event loop, each on its own thread: otherwise some loop's stalls would go unseen. */
  private static void verifyOneProbePerLoop(List<EventLoop> loops, int expected) {
    HashSet<Thread> threads = new HashSet<>();
    loops.forEach(loop -> threads.add(loop.thread()));
    if (loops.size() != expected || threads.size() != expected) {
      throw new StartupException("expected " + expected + " event loops on distinct threads, found " + loops.size()
          + " loops on " + threads.size() + " threads");
    }
    log.info("Event-loop lag probes: one per loop on {} distinct threads {}", threads.size(),
        loops.stream().map(EventLoop::name).toList());
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
    if (loopWatch != null) {
      loopWatch.lag().stop();
      loopWatch.stalls().close();
    }
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

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("interrupted while starting");
    } catch (TimeoutException e) {
      throw new StartupException("start-up did not finish within " + START_TIMEOUT_SECONDS + " s");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new StartupException(String.valueOf(cause.getMessage()));
    }
  }
}
