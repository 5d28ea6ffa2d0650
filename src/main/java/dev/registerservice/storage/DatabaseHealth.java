package dev.registerservice.storage;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The service's own view of whether the database can be used: {@code SELECT 1} every interval on a
 * connection of its own (not the pool's, so a pool full of stuck statements cannot hide a healthy server, nor
 * a healthy pool hide a dead one), each check bounded by the interval. Its verdict drives
 * {@code registration_database_ready}, the {@code database} entry of {@code /health/ready} and the gate that
 * answers 503 before any hashing. It logs once when the database goes down (with the reason) and once when
 * it is back (after how long), never per check or per request.
 */
public final class DatabaseHealth {
  private static final Logger log = LogManager.getLogger(DatabaseHealth.class);

  private final Vertx vertx;
  private final long intervalMillis;
  private final Consumer<String> onFailure;
  private volatile PgConnectOptions target;
  private volatile boolean up;
  private volatile boolean everUp;
  private volatile String reason = "not checked yet";
  private volatile long sinceNanos = System.nanoTime();
  private PgConnection connection;
  private boolean checking;
  private boolean stopped;
  private long timer = -1;

  /** @param onFailure told the reason of every failed check (on a Vert.x thread): the embedded restart hooks in */
  DatabaseHealth(Vertx vertx, long intervalMillis, Consumer<String> onFailure) {
    this.vertx = vertx;
    this.intervalMillis = intervalMillis;
    this.onFailure = onFailure;
  }

  /** True while the last check succeeded. */
  public boolean up() {
    return up;
  }

  /** For {@code /health/ready}: up or not, why not, and since when. */
  public JsonObject status() {
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - sinceNanos);
    JsonObject status = new JsonObject().put("registrations", up ? "available" : "unavailable")
        .put("sinceSeconds", seconds);
    return up ? status : status.put("reason", reason);
  }

  /** Reports a reason without checking (starting, not configured, migration failing). */
  void notReady(String why) {
    if (!up) {
      reason = why;
    }
  }

  /** Starts checking {@code options}' server every interval. */
  synchronized void start(PgConnectOptions options) {
    target = options;
    schedule(0);
  }

  /** A registration just met the database unavailable: check now rather than at the next tick. */
  synchronized void suspect() {
    if (target != null && up && !checking && !stopped) {
      vertx.cancelTimer(timer);
      schedule(0);
    }
  }

  synchronized void stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    if (connection != null) {
      connection.close();
      connection = null;
    }
  }

  private void schedule(long delayMillis) {
    timer = vertx.setTimer(Math.max(1, delayMillis), id -> check());
  }

  private synchronized void check() {
    if (stopped || checking) {
      return;
    }
    checking = true;
    long started = System.nanoTime();
    Promise<Void> result = Promise.promise();
    long deadline = vertx.setTimer(intervalMillis, id -> result.tryFail("no answer within " + intervalMillis
        + " ms"));
    Future<PgConnection> connected = connection != null ? Future.succeededFuture(connection)
        : PgConnection.connect(vertx, target);
    connected.onComplete(got -> {
      synchronized (this) {
        if (got.succeeded() && (stopped || result.future().isComplete())) {
          got.result().close();
        } else if (got.succeeded() && connection != got.result()) {
          connection = got.result();
          PostgresNotices.handle(connection);
        }
      }
    });
    connected.compose(c -> c.query("SELECT 1").execute()).onComplete(done -> {
      if (done.succeeded()) {
        result.tryComplete();
      } else {
        String why = DatabaseFailures.unavailableReason(done.cause());
        result.tryFail(why != null ? why : String.valueOf(done.cause().getMessage()));
      }
    });
    result.future().onComplete(outcome -> {
      vertx.cancelTimer(deadline);
      synchronized (this) {
        checking = false;
        if (outcome.succeeded()) {
          wentUp();
        } else {
          if (connection != null) {
            connection.close();
            connection = null;
          }
          wentDown(outcome.cause().getMessage());
        }
        if (!stopped) {
          long spent = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
          schedule(intervalMillis - spent);
        }
      }
      if (outcome.failed()) {
        onFailure.accept(outcome.cause().getMessage());
      }
    });
  }

  private void wentUp() {
    if (up) {
      return;
    }
    long now = System.nanoTime();
    if (everUp) {
      log.info("Database reachable again after {} s down; registrations accepted again",
          String.format("%.1f", (now - sinceNanos) / 1e9));
    }
    everUp = true;
    up = true;
    sinceNanos = now;
  }

  private void wentDown(String why) {
    reason = why;
    if (!up) {
      return;
    }
    up = false;
    sinceNanos = System.nanoTime();
    log.warn("Database unreachable: {}; registrations answer 503 until it is back (checked every {} ms)", why,
        intervalMillis);
  }
}
