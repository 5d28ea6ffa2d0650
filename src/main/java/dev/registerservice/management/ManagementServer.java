package dev.registerservice.management;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;

/**
 * The management port: {@code /metrics}, {@code /health/live}, {@code /health/ready}. It runs on its own
 * single-loop Vert.x instance, so a stalled traffic loop never hangs a scrape or a probe, and its
 * connections are not counted as traffic.
 */
public final class ManagementServer {
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;

  private ManagementServer(HttpServer server) {
    this.server = server;
  }

  /** @param connections called with each new connection (the accept-failure watch) */
  public static Future<ManagementServer> start(Vertx vertx, String host, int port, PrometheusMeterRegistry registry,
      Readiness readiness, int readyMaxLagMillis, BooleanSupplier stalled, DoubleSupplier recentP99Millis,
      Handler<HttpConnection> connections) {
    HealthChecks live = HealthChecks.create(vertx)
        .register("management-loop", promise -> promise.complete(io.vertx.ext.healthchecks.Status.OK()));
    HealthChecks ready = HealthChecks.create(vertx);
    readiness.register(ready, readyMaxLagMillis, stalled, recentP99Millis);

    Router router = Router.router(vertx);
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT)
        .end(registry.scrape()));
    router.get("/health/live").handler(ctx -> respond(ctx, live));
    router.get("/health/ready").handler(ctx -> respond(ctx, ready));
    // Scrapers and kubelet probes speak HTTP/1.1; an h2c upgrade offer (Java's HttpClient sends one) is ignored.
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setHttp2ClearTextEnabled(false))
        .connectionHandler(connections)
        .requestHandler(router)
        .listen()
        .map(ManagementServer::new);
  }

  private static void respond(RoutingContext ctx, HealthChecks checks) {
    checks.checkStatus().onComplete(result -> {
      boolean up = result.succeeded() && CheckResult.isUp(result.result());
      String body = result.succeeded() ? result.result().toJson().encode()
          : "{\"status\":\"DOWN\",\"reason\":\"health check failed\"}";
      ctx.response()
          .setStatusCode(up ? 200 : 503)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .end(body);
    });
  }

  public int port() {
    return server.actualPort();
  }

  public Future<Void> close() {
    return server.close();
  }
}
