package dev.registerservice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.TcpProxy;
import dev.registerservice.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import org.apache.logging.log4j.Level;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cluster mode ({@code REGISTER_DB_URL}) against a PostgreSQL the test starts and stops itself (a separately
 * started embedded one, used as external), reached through a TCP proxy that can blackhole: a stop, a restart,
 * a freeze and a blackhole each under a steady stream of registrations, with the bounds of {@link FaultRun}.
 */
class ExternalDatabaseFaultsTest {
  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void stoppedRestartedFrozenAndBlackholed() throws Exception {
    Path dataDir = Files.createTempDirectory("register-external").resolve("data");
    EmbeddedDatabase[] db = {EmbeddedDatabase.start(dataDir)};
    int port = db[0].port();
    try (TcpProxy proxy = new TcpProxy(port); LogCapture log = LogCapture.attach()) {
      try (RunningService service = RunningService.start(Map.of("REGISTER_DB_URL", TestDatabase.url(proxy.port()),
          "REGISTER_ARGON2_MEMORY_KIB", "64", "REGISTER_ARGON2_ITERATIONS", "1", "REGISTER_HASH_QUEUE", "1000"))) {
        FaultRun.run("stopped", service, log, () -> db[0].close(),
            () -> db[0] = EmbeddedDatabase.start(dataDir, port), () -> port);
        // A restart: started again as soon as the service has seen it stop.
        FaultRun.run("restarted", service, log, () -> db[0].close(),
            () -> db[0] = EmbeddedDatabase.start(dataDir, port), () -> port, 0);
        FaultRun.run("frozen", service, log, () -> PostgresProcesses.signalAll(dataDir, "STOP"),
            () -> PostgresProcesses.signalAll(dataDir, "CONT"), () -> port);
        FaultRun.run("blackholed", service, log, () -> proxy.blackhole(true), () -> proxy.blackhole(false),
            () -> port);
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          assertThat(service.scrape().value("registration_database_connections_in_use"))
              .as("nothing in use once the stream has stopped").isZero();
          assertThat(service.scrape().value("registration_database_connections_waiting"))
              .as("nothing waiting once the stream has stopped").isZero();
        });
      }
      assertThat(log.atLeast(Level.ERROR)).isEmpty();
    } finally {
      db[0].close();
    }
  }
}
