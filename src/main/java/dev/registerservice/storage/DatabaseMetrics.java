package dev.registerservice.storage;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/** {@code registration_database_ready}: whether registrations can reach a migrated database. */
public final class DatabaseMetrics implements MeterBinder {
  private final Database database;

  public DatabaseMetrics(Database database) {
    this.database = database;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("registration.database.ready", database, db -> db.ready() ? 1 : 0)
        .description("1 once the database is reachable and migrated; registrations get 503 while 0")
        .register(registry);
  }
}
