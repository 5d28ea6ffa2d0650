package dev.registerservice.http;

import dev.registerservice.config.ServiceConfig;
import dev.registerservice.transport.ConnectionHandlers;
import dev.registerservice.transport.ConnectionRecorder;
import dev.registerservice.transport.AcceptGate;
import dev.registerservice.transport.OpenConnections;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.BooleanSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One instance per event loop; Vert.x shares the listening port between them and spreads connections
 * over the loops. Everything it uses is built once in {@code RegisterService} and handed in.
 */
public final class TrafficVerticle extends VerticleBase {
  private static final Logger log = LogManager.getLogger(TrafficVerticle.class);

  private final ServiceConfig.Http config;
  private final ServiceConfig.Limits limits;
  private final Handler<HttpServerRequest> routes;
  private final ConnectionRecorder connections;
  private final OpenConnections openConnections;
  private final ServiceConfig.EventLoops loops;
  private final BooleanSupplier shuttingDown;
  private final AcceptGate acceptGate;
  private HttpServer server;
  private ConnectionHandlers handlers;

  public TrafficVerticle(ServiceConfig.Http config, ServiceConfig.Limits limits, ServiceConfig.EventLoops loops,
      Handler<HttpServerRequest> routes, ConnectionRecorder connections, OpenConnections openConnections,
      BooleanSupplier shuttingDown, AcceptGate acceptGate) {
    this.config = config;
    this.acceptGate = acceptGate;
    this.limits = limits;
    this.loops = loops;
    this.routes = routes;
    this.connections = connections;
    this.openConnections = openConnections;
    this.shuttingDown = shuttingDown;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.host())
        // Port 0 would give every instance its own random port; a negative port shares one random port.
        .setPort(config.port() == 0 ? -1 : config.port())
        // With h2c detection on, Vert.x announces a connection only after its first bytes; we need accept.
        .setHttp2ClearTextEnabled(false)
        .setTcpNoDelay(true)
        .setAcceptBacklog(1024)
        .setCompressionSupported(false)
        .setDecompressionSupported(false)
        // No WebSocket routes: with no extensions to offer, Vert.x leaves Netty's WebSocket extension handler,
        // which every response write passes through, out of the pipeline.
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false)
        // Every response is written on its connection's event loop (hashing and the database come back to the
        // request's context), so Vert.x may write straight to Netty: without this it puts a multi-producer
        // queue in front of every connection (jctools' MpscUnboundedArrayQueue, a 1,025-slot first chunk
        // fixed in Netty: 4.8 KB of an idle connection's 8.6 KB). Marked experimental in Vert.x 5.0; a write
        // off the loop would fail with an IllegalStateException rather than hop threads.
        .setStrictThreadMode(true);
    // The idle and write timeouts live in these handlers, not in Vert.x's idle handler (a listener per write).
    handlers = new ConnectionHandlers(limits, connections, openConnections, shuttingDown, options,
        config.writeQueueBytes(), loops::stalled, acceptGate);
    server = vertx.createHttpServer(options)
        .connectionHandler(handlers::install)
        .exceptionHandler(this::connectionFailed)
        .invalidRequestHandler(InvalidRequests::answer)
        .requestHandler(routes);
    return server.listen();
  }

  /** Read errors of connections (a reset keep-alive connection at the end of a wrk run): traffic, not errors. */
  private void connectionFailed(Throwable failure) {
    log.debug("Traffic connection failed: {}", failure.toString());
  }

  /** The listening server, for graceful shutdown. */
  public HttpServer server() {
    return server;
  }
}
