package dev.registerservice;

import dev.registerservice.management.Readiness;
import dev.registerservice.transport.OpenConnections;
import dev.registerservice.http.ResponseTracker;
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
  private final ResponseTracker responses;
  private final OpenConnections openConnections;
  private final int drainDelaySeconds;
  private final int timeoutSeconds;

  public GracefulShutdown(Vertx timers, Readiness readiness, AtomicBoolean shuttingDown, List<HttpServer> servers,
      ResponseTracker responses, OpenConnections openConnections, int drainDelaySeconds, int timeoutSeconds) {
    this.timers = timers;
    this.readiness = readiness;
    this.shuttingDown = shuttingDown;
    this.servers = servers;
    this.responses = responses;
    this.openConnections = openConnections;
    this.drainDelaySeconds = drainDelaySeconds;
    this.timeoutSeconds = timeoutSeconds;
  }

  /** Runs the sequence; the Future completes with the exit code once the traffic servers are closed. */
  public Future<Integer> run() {
    readiness.draining();
    log.info("Shutting down: readiness is now 503; the traffic port stops accepting in {} s", drainDelaySeconds);
    // Even with no delay, go through a timer: the rest then runs on the management loop, not the signal thread.
    Promise<Void> delay = Promise.promise();
    timers.setTimer(Math.max(1, TimeUnit.SECONDS.toMillis(drainDelaySeconds)), id -> delay.complete());
    return delay.future().compose(v -> stopAccepting()).compose(v -> {
      // Whatever is still in flight at the deadline is cut off by the close that follows.
      long cut = responses.inFlight();
      return openConnections.closeAll().map(closed -> {
        if (cut > 0) {
          log.warn("Shutdown timeout ({} s) cut off {} responses; {} connections closed by shutdown",
              timeoutSeconds, cut, closed);
          return 1;
        }
        log.info("Every response finished; {} connections closed by shutdown", closed);
        return 0;
      });
    });
  }

  /**
   * Stops accepting (Vert.x closes idle connections at once and the others after their current response, which
   * carries {@code Connection: close} from now on) and completes when no traffic connection is open any more,
   * or at the timeout, whichever comes first. Not when no response is in flight for a moment: a keep-alive
   * connection still open can bring another request, which the close that follows would cut. Nor when
   * Vert.x's shutdown futures complete: they do with connections still open.
   */
  private Future<Void> stopAccepting() {
    shuttingDown.set(true);
    log.info("Traffic port closed to new connections; waiting up to {} s for {} responses in flight",
        timeoutSeconds, responses.inFlight());
    Promise<Void> finished = Promise.promise();
    Future.join(servers.stream().map(server -> server.shutdown(timeoutSeconds, TimeUnit.SECONDS)).toList())
        .onComplete(stopped -> openConnections.noneOpen().onComplete(closed -> finished.tryComplete()));
    long deadline = timers.setTimer(Math.max(1, TimeUnit.SECONDS.toMillis(timeoutSeconds)),
        id -> finished.tryComplete());
    return finished.future().onComplete(done -> timers.cancelTimer(deadline));
  }
}
