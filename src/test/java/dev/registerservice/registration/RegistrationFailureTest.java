package dev.registerservice.registration;

import static dev.registerservice.testing.Registrations.valid;
import static dev.registerservice.testing.Registrations.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.TestDatabase;
import io.vertx.pgclient.PgException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A database error that is not unavailability (here: a table the service needs was renamed under it) is a
 * 500 with no detail, counted as {@code failed}, and logged once with its cause, not once per request.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RegistrationFailureTest {
  @Test
  void anUnexpectedDatabaseErrorIs500CountedAndLoggedOnceWithItsCause() throws Exception {
    TestDatabase db = TestDatabase.shared();
    String database = "failures_" + System.nanoTime();
    try (Connection admin = TestDatabase.connect(db.port()); Statement sql = admin.createStatement()) {
      sql.execute("CREATE DATABASE " + database);
    }
    try (LogCapture log = LogCapture.attach();
        RunningService service = RunningService.start(Map.of(
            "REGISTER_DB_URL", "postgresql://postgres@localhost:" + db.port() + "/" + database,
            "REGISTER_ARGON2_MEMORY_KIB", "64",
            "REGISTER_ARGON2_ITERATIONS", "1"))) {
      Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> service.scrape().value("registration_database_ready") == 1.0);
      try (Connection conn = java.sql.DriverManager.getConnection(
              "jdbc:postgresql://localhost:" + db.port() + "/" + database, "postgres", "");
          Statement sql = conn.createStatement()) {
        sql.execute("ALTER TABLE submissions RENAME TO submissions_gone");
      }
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> response = Registrations.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + service.port() + "/user/register"))
            .header("Content-Type", "application/json").header("Idempotency-Key", "k" + i + System.nanoTime())
            .POST(HttpRequest.BodyPublishers.ofString(valid(uniqueName("fail")).encode())).build());
        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).isEqualTo("Internal Server Error\n");
      }
      assertThat(service.scrape().value("registrations_total{outcome=\"failed\"}")).isEqualTo(3.0);
      assertThat(service.scrape().value("registrations_total{outcome=\"unavailable\"}")).isZero();
      List<LogEvent> errors = log.atLeast(Level.ERROR);
      assertThat(errors).as("rate-limited: one line for three failures").hasSize(1);
      assertThat(errors.get(0).getThrown()).isInstanceOf(PgException.class)
          .hasMessageContaining("submissions");
      // Requests without a key do not touch the renamed table: the database is otherwise fine.
      assertThat(Registrations.postJson(service.port(), valid(uniqueName("ok"))).statusCode()).isEqualTo(201);
    }
  }
}
