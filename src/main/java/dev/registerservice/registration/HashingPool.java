package dev.registerservice.registration;

import dev.registerservice.config.RegistrationConfig;
import dev.registerservice.process.ThreadSchedstat;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * The threads that hash passwords, and nothing else: a fixed number of threads at a lower scheduling priority
 * (so that hashing cannot take the CPU from a ready event loop) and a bounded queue. A job
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
  private volatile LongConsumer hashed = nanos -> { };
  /** The hashing threads' kernel ids, as each reports it when it starts. */
  private final Set<Long> threadIds = ConcurrentHashMap.newKeySet();
  private final CountDownLatch started;

  /**
   * @param nice how many nice values below the process the hashing threads run (0: the process's priority),
   *     set by each thread as it starts ({@link HashThreadPriority})
   */
  public HashingPool(PasswordHasher hasher, int threads, int queue, int nice) {
    this.hasher = hasher;
    this.started = new CountDownLatch(threads);
    BlockingQueue<Runnable> jobs = queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue);
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory = job -> {
      Thread thread = new Thread(() -> {
        HashThreadPriority.lowerCurrentThread(nice);
        ThreadSchedstat.currentThreadId().ifPresent(threadIds::add);
        started.countDown();
        job.run();
      }, "password-hash-" + n.getAndIncrement());
      thread.setDaemon(true);
      return thread;
    };
    this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, jobs, factory,
        new ThreadPoolExecutor.AbortPolicy());
    this.executor.prestartAllCoreThreads();
  }

  /** The pool with the Argon2id parameters, thread count and queue bound of {@code config}. */
  public static HashingPool start(RegistrationConfig config) {
    return new HashingPool(new PasswordHasher(config.argon2MemoryKib(), config.argon2Iterations(),
        config.argon2Parallelism()), config.hashThreads(), config.hashQueue(), config.hashNice());
  }

  /**
   * The hashing threads' kernel thread ids (empty where {@code /proc/thread-self} is missing). They compute for
   * long stretches at a low priority: when they wait for a CPU, a safepoint waits for them and every event
   * loop stands still with it, so the stall attribution reads their schedstat too. Waits up to 5 s for the
   * threads (prestarted) to report.
   */
  public List<Long> threadIds() {
    try {
      started.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return List.copyOf(threadIds);
  }

  /** The executor, for {@link HashingPoolMetrics} only. */
  ThreadPoolExecutor executor() {
    return executor;
  }

  /** Called on the hashing thread with each hash's duration in nanoseconds ({@link HashingPoolMetrics}). */
  void onHashed(LongConsumer listener) {
    this.hashed = listener;
  }

  /**
   * Hashes on the pool; completes on {@code context}. Fails with {@link Overloaded} at once when the queue
   * is full.
   */
  public Future<String> hash(Context context, String password) {
    return run(context, () -> {
      long start = System.nanoTime();
      String hash = hasher.hash(password);
      hashed.accept(System.nanoTime() - start);
      return hash;
    });
  }

  /**
   * Whether {@code password} is the one {@code phc} (a stored Argon2id hash, with its own parameters) was
   * made from, computed on the pool as a hash is; completes on {@code context}. Fails with {@link Overloaded}
   * at once when the queue is full.
   */
  public Future<Boolean> verify(Context context, String phc, String password) {
    return run(context, () -> PasswordHasher.verify(phc, password));
  }

  private <T> Future<T> run(Context context, Supplier<T> job) {
    Promise<T> promise = Promise.promise();
    try {
      executor.execute(() -> {
        T result;
        try {
          result = job.get();
        } catch (Throwable e) {
          // Any failure, Errors included, must reach the caller: a promise left pending is a request that hangs.
          answer(context, () -> promise.fail(e));
          return;
        }
        answer(context, () -> promise.complete(result));
      });
    } catch (RejectedExecutionException e) {
      return Future.failedFuture(new Overloaded());
    }
    return promise.future();
  }

  /**
   * Completes on the caller's event loop. After a shutdown that loop may be gone: then there is nobody left
   * to answer, and the job ends quietly instead of throwing on a hashing thread.
   */
  private static void answer(Context context, Runnable completion) {
    try {
      context.runOnContext(v -> completion.run());
    } catch (RejectedExecutionException loopGone) {
      // The service is stopping; its connections are closed with it.
    }
  }

  /** Stops taking jobs; those queued still run (their callers are answered). */
  public void close() {
    executor.shutdown();
  }
}
