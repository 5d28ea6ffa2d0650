package dev.registerservice;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Start-up's two ways off the event loops: waiting for the whole start-up, and blocking work on a thread of its own. */
public final class Startup {
  private Startup() {
  }

  /**
   * Runs {@code work} on a new daemon thread (not an event loop, and not a Vert.x worker: a Vert.x built there
   * would be built on a Vert.x context); the future completes with its result or failure on that thread.
   */
  public static <T> Future<T> onOwnThread(String name, Callable<T> work) {
    Promise<T> done = Promise.promise();
    Thread thread = new Thread(() -> {
      try {
        done.complete(work.call());
      } catch (Throwable e) {
        done.fail(e);
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
    return done.future();
  }

  /**
   * The future's result, waited for at most {@code seconds} on the calling thread (never an event loop).
   * Rethrows a runtime failure as it is (a {@code ConfigException} names its key), anything else as a
   * {@link StartupException} with a one-line reason.
   */
  public static <T> T await(Future<T> future, long seconds) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("interrupted while starting");
    } catch (TimeoutException e) {
      throw new StartupException("start-up did not finish within " + seconds + " s");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new StartupException(String.valueOf(cause.getMessage()));
    }
  }
}
