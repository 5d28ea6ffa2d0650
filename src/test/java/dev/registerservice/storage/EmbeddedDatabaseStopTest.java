package dev.registerservice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.testing.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Stopping the embedded PostgreSQL works whatever state it is in: frozen (SIGSTOP) or already dead. */
class EmbeddedDatabaseStopTest {
  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void aFrozenOneIsResumedAndStopped() throws Exception {
    Path dataDir = Files.createTempDirectory("register-stop").resolve("data");
    EmbeddedDatabase db = EmbeddedDatabase.start(dataDir);
    PostgresProcesses.signalAll(dataDir, "STOP");
    try (LogCapture log = LogCapture.attach()) {
      db.close();
      assertThat(EmbeddedDatabase.postmaster(dataDir)).isEmpty();
      assertThat(log.atLeast(Level.ERROR)).isEmpty();
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void aDeadOneIsReleasedWithoutAnError() throws Exception {
    Path dataDir = Files.createTempDirectory("register-stop").resolve("data");
    EmbeddedDatabase db = EmbeddedDatabase.start(dataDir);
    assertThat(db.alive()).isTrue();
    PostgresProcesses.killPostmaster(dataDir);
    assertThat(db.alive()).isFalse();
    try (LogCapture log = LogCapture.attach()) {
      db.close();
      assertThat(log.atLeast(Level.ERROR)).isEmpty();
    }
    // The data directory is free again: a new start on it works.
    EmbeddedDatabase.start(dataDir).close();
  }
}
