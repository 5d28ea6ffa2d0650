package dev.registerservice.registration;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ExecutorServiceMetrics;
import java.util.concurrent.TimeUnit;

/**
 * The hashing pool's meters: Micrometer's own executor meters ({@code executor_queued_tasks},
 * {@code executor_active_threads}, {@code executor_pool_max_threads}, ... tagged {@code name="registration.hash"})
 * and the time one hash takes ({@code registration_password_hash_seconds}). Bound to any registry; with an
 * empty composite registry (metrics off) they record nothing.
 */
public final class HashingPoolMetrics implements MeterBinder {
  /** The {@code name} tag of the executor meters. */
  public static final String EXECUTOR_NAME = "registration.hash";

  private final HashingPool pool;

  public HashingPoolMetrics(HashingPool pool) {
    this.pool = pool;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    new ExecutorServiceMetrics(pool.executor(), EXECUTOR_NAME, Tags.empty()).bindTo(registry);
    Timer hashTime = Timer.builder("registration.password.hash")
        .description("Time to compute one password's Argon2id hash, on the hashing pool")
        .register(registry);
    pool.onHashed(nanos -> hashTime.record(nanos, TimeUnit.NANOSECONDS));
  }
}
