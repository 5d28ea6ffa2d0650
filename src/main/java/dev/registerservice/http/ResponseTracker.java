package dev.registerservice.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Traffic responses started and not yet ended (completed or aborted), on every event loop: what graceful
 * shutdown cuts off at its timeout, and what the in-flight gauge reads.
 */
public final class ResponseTracker {
  private final AtomicLong inFlight = new AtomicLong();

  void started() {
    inFlight.incrementAndGet();
  }

  void ended() {
    inFlight.decrementAndGet();
  }

  public long inFlight() {
    return inFlight.get();
  }
}
