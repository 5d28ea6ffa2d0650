package dev.registerservice.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Traffic responses started and not yet ended (completed or aborted), on every event loop. Graceful shutdown
 * waits on {@link #drained()}; the in-flight gauge reads {@link #inFlight()}.
 */
public final class ResponseTracker {
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicReference<Promise<Void>> waiting = new AtomicReference<>();

  void started() {
    inFlight.incrementAndGet();
  }

  void ended() {
    if (inFlight.decrementAndGet() == 0) {
      Promise<Void> promise = waiting.getAndSet(null);
      if (promise != null) {
        promise.tryComplete();
      }
    }
  }

  public long inFlight() {
    return inFlight.get();
  }

  /** Completes once no response is in flight: at once if none is now. */
  public Future<Void> drained() {
    Promise<Void> promise = Promise.promise();
    waiting.set(promise);
    // A response that ended between the set and here saw no promise: look again.
    if (inFlight.get() == 0) {
      promise.tryComplete();
    }
    return promise.future();
  }
}
