package dev.registerservice.management;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * What {@code /health/ready} reports. Ready means: the traffic server listens, we are not draining, and
 * (only when {@code REGISTER_READY_MAX_LAG_MS} is set) no traffic loop is stalled and the worst loop's lag
 * p99 over the last ten seconds is under that limit. It never depends on anything outside the process: the
 * {@code database} entry says whether registrations can be stored, and why not, but is always UP, since a
 * pod without its database still serves the page and taking every pod out of its Service would turn a
 * registration outage into a whole-site one. The gauge {@code registration_database_ready} and the alert
 * {@code RegisterServiceDatabaseDown} are how an operator sees it.
 */
public final class Readiness {
  private volatile boolean listening;
  private volatile boolean draining;
  private volatile Supplier<JsonObject> database;

  /** What the {@code database} entry reports (registrations available or not, the reason, since when). */
  public void database(Supplier<JsonObject> status) {
    database = status;
  }

  public void listening() {
    listening = true;
  }

  public void draining() {
    draining = true;
  }

  /**
   * Registers the checks.
   *
   * @param maxLagMillis 0 turns the event-loop check off
   */
  void register(HealthChecks checks, int maxLagMillis, BooleanSupplier stalled, DoubleSupplier recentP99Millis) {
    checks.register("traffic-server", promise -> promise.complete(listening
        ? Status.OK() : Status.KO(new JsonObject().put("reason", "traffic port not listening yet"))));
    checks.register("not-draining", promise -> promise.complete(draining
        ? Status.KO(new JsonObject().put("reason", "shutting down: draining connections")) : Status.OK()));
    checks.register("database", promise -> {
      Supplier<JsonObject> status = database;
      promise.complete(Status.OK(status == null
          ? new JsonObject().put("registrations", "unavailable").put("reason", "no database") : status.get()));
    });
    if (maxLagMillis > 0) {
      checks.register("event-loops", promise -> {
        boolean stalledNow = stalled.getAsBoolean();
        double p99 = recentP99Millis.getAsDouble();
        JsonObject data = new JsonObject().put("stalled", stalledNow).put("lagP99Millis", p99)
            .put("maxLagMillis", maxLagMillis);
        promise.complete(!stalledNow && p99 <= maxLagMillis ? Status.OK(data) : Status.KO(data));
      });
    }
  }
}
