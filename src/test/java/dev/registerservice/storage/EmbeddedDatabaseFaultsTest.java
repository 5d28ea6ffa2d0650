package dev.registerservice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.RunningService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The service's own embedded PostgreSQL frozen and killed under a steady stream of registrations
 * ({@link FaultRun} states the bounds): 503s within the bound, the gauge and health entry, one log line each
 * way, recovery without a restart of the service (a killed one is started again), nothing acknowledged lost;
 * then a service stop that stops it cleanly.
 */
class EmbeddedDatabaseFaultsTest {
  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void frozenThenKilledThenStoppedCleanly() throws Exception {
    Path dataDir = Files.createTempDirectory("register-faults").resolve("data");
    try (LogCapture log = LogCapture.attach()) {
      RunningService service = RunningService.start(Map.of("REGISTER_DB_EMBEDDED", "true",
          "REGISTER_DATA_DIR", dataDir.toString(), "REGISTER_ARGON2_MEMORY_KIB", "64",
          "REGISTER_ARGON2_ITERATIONS", "1", "REGISTER_HASH_QUEUE", "1000"));
      try {
        FaultRun.run("frozen", service, log, () -> PostgresProcesses.signalAll(dataDir, "STOP"),
            () -> PostgresProcesses.signalAll(dataDir, "CONT"), () -> port(dataDir));
        FaultRun.run("killed", service, log, () -> PostgresProcesses.killPostmaster(dataDir), null,
            () -> port(dataDir));
        assertThat(log.events().stream().map(e -> e.getMessage().getFormattedMessage()))
            .anyMatch(m -> m.startsWith("Embedded PostgreSQL started again"));
        // A stop while it is frozen: the service resumes it and shuts it down, without an ERROR.
        PostgresProcesses.signalAll(dataDir, "STOP");
      } finally {
        long start = System.nanoTime();
        service.close();
        System.out.printf("FIGURES service stop with a frozen embedded PostgreSQL: %.1fs%n",
            (System.nanoTime() - start) / 1e9);
      }
      assertThat(EmbeddedDatabase.postmaster(dataDir)).as("PostgreSQL stopped with the service").isEmpty();
      assertThat(log.atLeast(Level.ERROR)).isEmpty();
    }
  }

  private static int port(Path dataDir) {
    try {
      return PostgresProcesses.port(dataDir);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
