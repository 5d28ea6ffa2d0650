package dev.registerservice;

import dev.registerservice.config.ServiceConfig;
import dev.registerservice.http.AccessLog;
import dev.registerservice.http.PageHeaders;
import dev.registerservice.http.RegisterPage;
import dev.registerservice.http.RegisterPageHandler;
import dev.registerservice.http.RegistrationHandler;
import dev.registerservice.http.ResponseTracker;
import dev.registerservice.http.RouteTable;
import dev.registerservice.internal.Internals;
import dev.registerservice.process.FileDescriptors;
import dev.registerservice.management.Readiness;
import dev.registerservice.metrics.AbortMetrics;
import dev.registerservice.metrics.BuildInfo;
import dev.registerservice.metrics.ConnectionLimitMetrics;
import dev.registerservice.metrics.ConnectionMetrics;
import dev.registerservice.metrics.RequestMetrics;
import dev.registerservice.metrics.ResponseMetrics;
import dev.registerservice.registration.HashingPool;
import dev.registerservice.registration.HashingPoolMetrics;
import dev.registerservice.registration.Registrar;
import dev.registerservice.registration.RegistrationMetrics;
import dev.registerservice.stall.LoopWatch;
import dev.registerservice.storage.Database;
import dev.registerservice.storage.DatabaseMetrics;
import dev.registerservice.transport.AcceptGate;
import dev.registerservice.transport.ConnectionCap;
import dev.registerservice.transport.OpenConnections;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;

/**
 * Everything the service is made of, built once, in named steps and in this order: the meter registries, the
 * page, registration (hashing and the database), the routes, the loop watch and readiness. Nothing here
 * listens or runs yet; {@link RegisterService} starts them.
 *
 * @param processMeters where the process's meters go: the exported registry, or (metrics off) one that exports
 *     nothing, so that the code that records is the same either way
 * @param trafficMeters what users do (requests, responses, aborts, connections, registrations), counted from
 *     ready on: a composite that gets the exported registry only once the warm-up is over; until then it has no
 *     registry and its meters record nothing (adding one gives each meter its exported twin, at zero)
 */
record ServiceParts(ServiceConfig config, PrometheusMeterRegistry registry, MeterRegistry processMeters,
    CompositeMeterRegistry trafficMeters, RegisterPage page, ResponseTracker inFlight,
    OpenConnections openConnections, ConnectionCap connectionCap, ConnectionMetrics connections,
    AcceptGate trafficAccepts, AcceptGate managementAccepts, HashingPool hashing, Database database,
    AbortMetrics aborts, RouteTable routes, LoopWatch loopWatch, Readiness readiness) {

  static ServiceParts build(ServiceConfig config, Vertx traffic, Vertx management, PrometheusMeterRegistry registry) {
    MeterRegistry processMeters = config.management().metricsEnabled() ? registry : new CompositeMeterRegistry();
    CompositeMeterRegistry trafficMeters = new CompositeMeterRegistry();
    bindProcessMeters(processMeters, VertxInstances.transportName(traffic));

    RegisterPage page = RegisterPage.render(config.page().bodyBytes(), config.page().chunkSize());
    ResponseTracker inFlight = new ResponseTracker();
    ConnectionCap cap = ConnectionCap.of(config.limits().maxConnections(), FileDescriptors.limit(),
        config.limits().fdReserve());
    OpenConnections openConnections = new OpenConnections(cap.effective());
    ConnectionMetrics connections = new ConnectionMetrics(openConnections::count);
    connections.bindTo(trafficMeters);
    ConnectionLimitMetrics limits = new ConnectionLimitMetrics(cap.effective());
    limits.bindTo(processMeters);
    AccessLog accessLog = new AccessLog(config.http().accessLog());

    HashingPool hashing = HashingPool.start(config.registration());
    new HashingPoolMetrics(hashing).bindTo(processMeters);
    // The warm-up walks the database path on the management loop: what it loads is not paid on a traffic loop.
    Database database = Database.create(traffic, config.http().warmupRequests() > 0 ? management : null,
        config.database());
    new DatabaseMetrics(database).bindTo(processMeters);
    RegistrationHandler registrations = new RegistrationHandler(new Registrar(hashing, database),
        new RegistrationMetrics(trafficMeters), inFlight, config.registration().maxBodyBytes(), accessLog);

    RouteTable.Builder table = routes(config, page, inFlight, trafficMeters, accessLog, registrations);
    RequestMetrics requests =
        new RequestMetrics(table.paths(), RouteTable.RECOGNISED.stream().map(HttpMethod::name).toList());
    requests.bindTo(trafficMeters);
    AbortMetrics aborts = new AbortMetrics(table.routeMethods());
    aborts.bindTo(trafficMeters);

    LoopWatch loopWatch = LoopWatch.create(traffic, config.http().loops(), config.eventLoops(),
        hashing.threadIds());
    loopWatch.bindTo(processMeters);
    Readiness readiness = new Readiness();
    readiness.database(database::status);
    return new ServiceParts(config, registry, processMeters, trafficMeters, page, inFlight, openConnections, cap,
        connections, AcceptGate.traffic(openConnections, connections, limits), AcceptGate.management(limits), hashing,
        database, aborts, table.build(requests, aborts), loopWatch, readiness);
  }

  private static void bindProcessMeters(MeterRegistry meters, String transport) {
    String version = ServiceParts.class.getPackage().getImplementationVersion();
    new BuildInfo(version == null ? "dev" : version, Internals.vertxVersion(), transport).bindTo(meters);
    new FileDescriptorMetrics().bindTo(meters);
  }

  /** The route table, in one place: the page, registration's routes, the favicon. */
  private static RouteTable.Builder routes(ServiceConfig config, RegisterPage page, ResponseTracker inFlight,
      MeterRegistry trafficMeters, AccessLog accessLog, RegistrationHandler registrations) {
    ResponseMetrics responses = new ResponseMetrics(inFlight::inFlight);
    responses.bindTo(trafficMeters);
    RegisterPageHandler registerPage =
        new RegisterPageHandler(page, inFlight, responses, accessLog, config.http().writeQueueBytes());
    return RouteTable.builder()
        .get(RegisterPageHandler.ROUTE, PageHeaders.around(registerPage::handle))
        .head(RegisterPageHandler.ROUTE, PageHeaders.around(registerPage::handle))
        .route(HttpMethod.POST, RegisterPageHandler.ROUTE, registrations::register)
        .get(RegistrationHandler.REGISTERED_ROUTE, registrations::registered)
        .head(RegistrationHandler.REGISTERED_ROUTE, registrations::registered)
        .get("/favicon.ico", registrations::favicon)
        .head("/favicon.ico", registrations::favicon);
  }

  /** At ready: what users do is counted from now on (never with metrics off). */
  void startCountingTraffic() {
    if (config.management().metricsEnabled()) {
      trafficMeters.add(registry);
    }
  }

  /** Undoes what {@link #build} started, for a start-up that failed after it. */
  void close() {
    loopWatch.close();
    hashing.close();
  }
}
