package dev.registerservice.storage;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * {@code registration_database_ready}: what the health check last found; and the pool as the store uses it,
 * counted by the store itself ({@link BoundedQueries}), so that it stays true after failures (Vert.x 5.0.7's
 * {@code vertx_pool_queue_pending} for the {@code users} pool was seen stuck at 10 and at 910 with nothing
 * waiting, after statements failed while the database was down).
 */
public final class DatabaseMetrics implements MeterBinder {
  private final Database database;

  public DatabaseMetrics(Database database) {
    this.database = database;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("registration.database.ready", database, db -> db.ready() ? 1 : 0)
        .description("1 while the database is migrated and its last health check succeeded; registrations get 503"
            + " while 0")
        .register(registry);
    Gauge.builder("registration.database.connections.waiting", BoundedQueries.WAITING, Number::doubleValue)
        .description("Database statements waiting for a pooled connection (including ones already answered 503)")
        .register(registry);
    Gauge.builder("registration.database.connections.in.use", BoundedQueries.IN_USE, Number::doubleValue)
        .description("Pooled database connections held by a statement now")
        .register(registry);
  }
}
