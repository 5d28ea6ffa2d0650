package dev.registerservice.registration;

import dev.registerservice.logging.LogLimiter;
import java.time.Duration;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Failures of a registration that should not happen (a bug, a database error other than being unreachable):
 * the client gets a bare 500 and the {@code failed} outcome is counted; the cause goes to the log with its
 * stack trace, at most once per interval so that a failure on every request cannot flood the log. How many
 * were left out is said in the next line that is written.
 */
public final class UnexpectedFailures {
  private static final Logger log = LogManager.getLogger(UnexpectedFailures.class);

  private final LogLimiter limiter;

  public UnexpectedFailures(Duration interval) {
    this.limiter = new LogLimiter(interval);
  }

  /** Logs {@code failure} with its cause unless one was logged less than the interval ago. */
  public void report(String what, Throwable failure) {
    limiter.admit().ifPresent(heldBack -> log.error(
        "{} failed unexpectedly; answered 500 ({} more such failures not logged since the last one)",
        what, heldBack, failure));
  }
}
