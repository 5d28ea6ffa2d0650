package dev.registerservice.registration;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that hash passwords, and nothing else: a fixed number of threads and a bounded queue. A job
 * that finds the queue full is refused at once ({@link Overloaded}) rather than piling up memory and
 * latency. Results come back on the caller's Vert.x context, so handlers continue on their event loop.
 *
 * <p>Not Vert.x's worker pool ({@code createSharedWorkerExecutor} queues without bound) and not its blocked-
 * thread checker's business: a hash is expected to take tens of milliseconds of CPU.
 */
public final class HashingPool {
  /** The queue was full: the caller answers 503 with {@code Retry-After}. */
  public static final class Overloaded extends RuntimeException {
    Overloaded() {
      super("password hashing queue is full", null, false, false);
    }
  }

  private final ThreadPoolExecutor executor;
  private final PasswordHasher hasher;
  private final Timer hashTime;

  public HashingPool(PasswordHasher hasher, int threads, int queue, MeterRegistry registry) {
    this.hasher = hasher;
    BlockingQueue<Runnable> jobs = queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue);
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory = job -> {
      Thread thread = new Thread(job, "password-hash-" + n.getAndIncrement());
      thread.setDaemon(true);
      return thread;
    };
    this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, jobs, factory,
        new ThreadPoolExecutor.AbortPolicy());
    this.executor.prestartAllCoreThreads();
    this.hashTime = Timer.builder("registration.password.hash")
        .description("Time to compute one password's Argon2id hash, on the hashing pool")
        .register(registry);
    Gauge.builder("registration.hash.queued", executor, e -> e.getQueue().size())
        .description("Password hash jobs waiting for a hashing thread; past REGISTER_HASH_QUEUE new ones get 503")
        .register(registry);
    Gauge.builder("registration.hash.active", executor, ThreadPoolExecutor::getActiveCount)
        .description("Hashing threads computing a hash now")
        .register(registry);
    Gauge.builder("registration.hash.threads", executor, ThreadPoolExecutor::getMaximumPoolSize)
        .description("Threads in the hashing pool (REGISTER_HASH_THREADS)")
        .register(registry);
  }

  /**
   * Hashes on the pool; completes on {@code context}. Fails with {@link Overloaded} at once when the queue
   * is full.
   */
  public Future<String> hash(Context context, String password) {
    Promise<String> promise = Promise.promise();
    try {
      executor.execute(() -> {
        String hash;
        try {
          long start = System.nanoTime();
          hash = hasher.hash(password);
          hashTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
          context.runOnContext(v -> promise.fail(e));
          return;
        }
        context.runOnContext(v -> promise.complete(hash));
      });
    } catch (RejectedExecutionException e) {
      return Future.failedFuture(new Overloaded());
    }
    return promise.future();
  }

  /** Stops taking jobs; those queued still run (their callers are answered). */
  public void close() {
    executor.shutdown();
  }
}
