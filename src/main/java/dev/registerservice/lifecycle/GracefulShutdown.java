package dev.registerservice.lifecycle;

import dev.registerservice.management.Readiness;
import dev.registerservice.metrics.CloseReason;
import dev.registerservice.metrics.ConnectionMetrics;
import dev.registerservice.metrics.ResponseMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * What SIGTERM starts: readiness goes false at once; after the drain delay (time for endpoints to stop
 * routing here) the traffic port stops accepting and in-flight responses get up to the shutdown timeout to
 * finish; what remains is closed (reason {@code shutdown}). The result is the exit code: 0 if every
 * response finished, 1 if some were cut off.
 */
public final class GracefulShutdown {
  private static final Logger log = LogManager.getLogger(GracefulShutdown.class);

  private final Vertx timers;
  private final Readiness readiness;
  private final AtomicBoolean shuttingDown;
  private final List<HttpServer> servers;
  private final ResponseMetrics responses;
  private final ConnectionMetrics connections;
  private final int drainDelaySeconds;
  private final int timeoutSeconds;

  public GracefulShutdown(Vertx timers, Readiness readiness, AtomicBoolean shuttingDown, List<HttpServer> servers,
      ResponseMetrics responses, ConnectionMetrics connections, int drainDelaySeconds, int timeoutSeconds) {
    this.timers = timers;
    this.readiness = readiness;
    this.shuttingDown = shuttingDown;
    this.servers = servers;
    this.responses = responses;
    this.connections = connections;
    this.drainDelaySeconds = drainDelaySeconds;
    this.timeoutSeconds = timeoutSeconds;
  }

  /** Runs the sequence; the Future completes with the exit code once the traffic servers are closed. */
  public Future<Integer> run() {
    readiness.draining();
    log.info("Shutting down: readiness is now 503; the traffic port stops accepting in {} s", drainDelaySeconds);
    Promise<Void> delay = Promise.promise();
    if (drainDelaySeconds == 0) {
      delay.complete();
    } else {
      timers.setTimer(TimeUnit.SECONDS.toMillis(drainDelaySeconds), id -> delay.complete());
    }
    return delay.future().compose(v -> stopAccepting()).map(v -> {
      long cut = responses.cutByShutdownCount();
      long closed = connections.closedCount(CloseReason.SHUTDOWN);
      if (cut > 0) {
        log.warn("Shutdown timeout ({} s) cut off {} responses; {} connections closed by shutdown",
            timeoutSeconds, cut, closed);
        return 1;
      }
      log.info("Every response finished; {} connections closed by shutdown", closed);
      return 0;
    });
  }

  private Future<Void> stopAccepting() {
    shuttingDown.set(true);
    log.info("Traffic port closed to new connections; waiting up to {} s for {} responses in flight",
        timeoutSeconds, responses.inFlight());
    return Future.join(servers.stream().map(s -> s.shutdown(timeoutSeconds, TimeUnit.SECONDS)).toList())
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }
}
