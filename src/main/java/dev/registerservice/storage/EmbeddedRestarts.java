package dev.registerservice.storage;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Starts the embedded PostgreSQL again when it has died (killed, crashed, out of memory): told of every failed
 * health check, it looks whether the postmaster still runs (a frozen one does, and is left alone), and if not
 * starts a new one on the same data directory and port, on a thread of its own, with a backoff of 1, 2, 4, 8,
 * 16 then 30 s between attempts, at most {@value #MAX_ATTEMPTS} attempts in a row; each is logged. The pool and
 * the health check reconnect by themselves once it is back.
 */
final class EmbeddedRestarts {
  private static final Logger log = LogManager.getLogger(EmbeddedRestarts.class);
  static final int MAX_ATTEMPTS = 10;
  private static final long MAX_BACKOFF_SECONDS = 30;

  private final Path dataDir;
  private final int port;
  private final BooleanSupplier closing;
  private EmbeddedDatabase current;
  private Thread restarter;
  private boolean gaveUp;

  EmbeddedRestarts(Path dataDir, EmbeddedDatabase started, BooleanSupplier closing) {
    this.dataDir = dataDir;
    this.port = started.port();
    this.current = started;
    this.closing = closing;
  }

  /** A health check failed: restart if the postmaster is gone and no restart is under way. */
  synchronized void checkFailed() {
    if (gaveUp || closing.getAsBoolean() || (restarter != null && restarter.isAlive()) || current.alive()) {
      return;
    }
    restarter = new Thread(this::restart, "database-restart");
    restarter.setDaemon(true);
    restarter.start();
  }

  /** Stops restarting; returns the instance to close (waiting for an attempt in progress). */
  EmbeddedDatabase stop() throws InterruptedException {
    Thread running;
    synchronized (this) {
      running = restarter;
    }
    if (running != null) {
      running.interrupt();
      running.join(TimeUnit.SECONDS.toMillis(30));
    }
    synchronized (this) {
      return current;
    }
  }

  private void restart() {
    log.warn("Embedded PostgreSQL on {} has stopped running; starting it again on port {}", dataDir, port);
    long backoffSeconds = 1;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS && !closing.getAsBoolean(); attempt++) {
      try {
        EmbeddedDatabase old;
        synchronized (this) {
          old = current;
        }
        old.close();
        EmbeddedDatabase started = EmbeddedDatabase.start(dataDir, port);
        synchronized (this) {
          current = started;
        }
        log.info("Embedded PostgreSQL started again on port {} (attempt {})", port, attempt);
        return;
      } catch (Exception e) {
        log.warn("Embedded PostgreSQL restart attempt {} of {} failed: {}; next in {} s. Its log {} ends: {}",
            attempt, MAX_ATTEMPTS, e.getMessage(), backoffSeconds, EmbeddedDatabase.logFile(dataDir),
            EmbeddedDatabase.lastLogLines(EmbeddedDatabase.logFile(dataDir), 3));
      }
      try {
        Thread.sleep(TimeUnit.SECONDS.toMillis(backoffSeconds));
      } catch (InterruptedException e) {
        return;
      }
      backoffSeconds = Math.min(backoffSeconds * 2, MAX_BACKOFF_SECONDS);
    }
    if (!closing.getAsBoolean()) {
      synchronized (this) {
        gaveUp = true;
      }
      log.error("Embedded PostgreSQL on {} did not start again after {} attempts; registrations answer 503"
          + " until the service is restarted", dataDir, MAX_ATTEMPTS);
    }
  }
}
