package dev.registerservice.management;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;

/**
 * What {@code /health/ready} reports. Ready means: the traffic server listens, we are not draining, and
 * (only when {@code REGISTER_READY_MAX_LAG_MS} is set) no traffic loop is stalled and the worst loop's lag
 * p99 over the last ten seconds is under that limit. It never depends on anything outside the process.
 */
public final class Readiness {
  private volatile boolean listening;
  private volatile boolean draining;

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
