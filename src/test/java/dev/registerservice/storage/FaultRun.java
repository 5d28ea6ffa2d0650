package dev.registerservice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.RegistrationStream;
import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.awaitility.Awaitility;

/**
 * One database fault under a steady stream of registrations (20 a second), judged from outside: every answer
 * is 201 or 503 with Retry-After within {@link #ANSWER_BOUND_SECONDS}; the gauge goes to 0 and the health
 * entry says why; one log line when it goes down and one when it is back; it recovers by itself; afterwards
 * every 201 is in the database once, no 503 that said "not stored" is, and every 503 whose commit went
 * unanswered ("may be stored") is resolved by sending it again: 201, stored once. Prints the figures on one
 * line starting with FIGURES.
 */
final class FaultRun {
  /** The bound every answer must meet during a fault: the 2.5 s statement limit plus room for a loaded machine. */
  static final double ANSWER_BOUND_SECONDS = 6.0;
  private static final String GAUGE = "registration_database_ready";

  /** What the fault does. Recovery is timed from the heal, or from the fault when the service heals it. */
  interface Step {
    void run() throws Exception;
  }

  record Figures(String fault, double maxLatencyDuringFault, double detectSeconds, double recoverSeconds,
      int created, int unavailable) {
  }

  private FaultRun() {
  }

  /**
   * @param heal undoes the fault (null: the service heals it by itself)
   * @param databasePort where to count the rows (directly, not through a proxy), asked after recovery
   */
  static Figures run(String fault, RunningService service, LogCapture log, Step apply, Step heal,
      IntSupplier databasePort) throws Exception {
    return run(fault, service, log, apply, heal, databasePort, 4_000);
  }

  /** @param holdMillis how long the fault lasts once the service has seen it, before {@code heal} */
  static Figures run(String fault, RunningService service, LogCapture log, Step apply, Step heal,
      IntSupplier databasePort, long holdMillis) throws Exception {
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> service.scrape().value(GAUGE) == 1.0);
    int logBefore = log.events().size();
    RegistrationStream stream = new RegistrationStream(service.port(), 20, fault.substring(0, 3));
    double detect;
    double recover;
    long faultStart;
    long faultEnd;
    try {
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> stream.answered().stream()
          .filter(a -> a.status() == 201).count() >= 5);
      faultStart = System.nanoTime();
      apply.run();
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> service.scrape().value(GAUGE) == 0.0);
      detect = (System.nanoTime() - faultStart) / 1e9;
      JsonObject entry = databaseEntry(service);
      assertThat(entry.getJsonObject("data").getString("registrations")).isEqualTo("unavailable");
      assertThat(entry.getJsonObject("data").getString("reason")).isNotBlank();
      Thread.sleep(holdMillis);
      long healStart = System.nanoTime();
      if (heal != null) {
        heal.run();
      }
      Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
          .until(() -> service.scrape().value(GAUGE) == 1.0);
      Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> stream.answered().stream().anyMatch(a -> a.sentNanos() > healStart && a.status() == 201));
      faultEnd = System.nanoTime();
      recover = (faultEnd - (heal != null ? healStart : faultStart)) / 1e9;
      long end = faultEnd;
      Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> stream.answered().stream().filter(a -> a.sentNanos() > end && a.status() == 201).count() >= 5);
    } finally {
      stream.close();
    }
    List<RegistrationStream.Answer> answers = stream.stop();
    double maxDuringFault = 0;
    Set<String> created = new HashSet<>();
    Set<String> refused = new HashSet<>();
    for (RegistrationStream.Answer answer : answers) {
      assertThat(answer.status()).as("%s: %s", fault, answer).isIn(201, 503);
      assertThat(answer.latencySeconds()).as("%s: %s", fault, answer).isLessThan(ANSWER_BOUND_SECONDS);
      if (answer.status() == 503) {
        // One Retry-After per reason: 1 s for a full hashing queue, 5 s for a database that is not available.
        assertThat(answer.retryAfter()).as(answer.toString())
            .isEqualTo(answer.body().contains("too many registrations at once") ? "1" : "5");
        refused.add(answer.username());
      } else {
        created.add(answer.username());
      }
      if (answer.sentNanos() >= faultStart && answer.sentNanos() <= faultEnd) {
        maxDuringFault = Math.max(maxDuringFault, answer.latencySeconds());
      }
    }
    assertThat(refused).as("%s: some registrations met the fault", fault).isNotEmpty();
    assertThat(service.scrape().value("registration_database_ready")).isEqualTo(1.0);
    assertThat(databaseEntry(service).getJsonObject("data").getString("registrations")).isEqualTo("available");
    Set<String> stored = storedNames(databasePort.getAsInt(), fault.substring(0, 3));
    assertThat(stored).as("%s: every 201 stored", fault).containsAll(created);
    assertThat(answers.stream().filter(a -> a.status() == 503 && !a.unconfirmed() && stored.contains(a.username()))
        .toList()).as("%s: no 503 that said it was not stored is stored", fault).isEmpty();
    // A commit the fault left unanswered may have come through: its retry says so, and creates nothing twice.
    int unconfirmed = 0;
    for (RegistrationStream.Answer answer : answers) {
      if (answer.unconfirmed()) {
        unconfirmed++;
        HttpResponse<String> retry = Registrations.postJson(service.port(), Registrations.valid(answer.username()));
        assertThat(retry.statusCode()).as("%s: the retry of %s: %s", fault, answer, retry.body()).isEqualTo(201);
      }
    }
    assertThat(storedCount(databasePort.getAsInt(), fault.substring(0, 3)))
        .as("%s: every name stored once", fault).isEqualTo(storedNames(databasePort.getAsInt(),
            fault.substring(0, 3)).size());
    List<LogEvent> events = log.events().subList(logBefore, log.events().size());
    assertThat(events.stream().filter(e -> e.getMessage().getFormattedMessage().startsWith("Database unreachable")))
        .as("one line when it goes down").hasSize(1);
    assertThat(events.stream().filter(e -> e.getMessage().getFormattedMessage().startsWith("Database reachable")))
        .as("one line when it is back").hasSize(1);
    assertThat(events.stream().filter(e -> e.getLevel().isMoreSpecificThan(Level.ERROR)))
        .as("nothing logged at ERROR").isEmpty();
    Figures figures = new Figures(fault, maxDuringFault, detect, recover, created.size(), refused.size());
    System.out.printf("FIGURES fault=%s maxAnswerDuringFault=%.2fs detect=%.1fs recover=%.1fs created=%d 503=%d"
        + " unconfirmed=%d%n", fault, maxDuringFault, detect, recover, created.size(), refused.size(), unconfirmed);
    return figures;
  }

  static JsonObject databaseEntry(RunningService service) {
    HttpResponse<String> ready = Registrations.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + service.managementPort() + "/health/ready")).build());
    assertThat(ready.statusCode()).as("readiness does not depend on the database").isEqualTo(200);
    JsonArray checks = new JsonObject(ready.body()).getJsonArray("checks");
    for (int i = 0; i < checks.size(); i++) {
      if ("database".equals(checks.getJsonObject(i).getString("id"))) {
        return checks.getJsonObject(i);
      }
    }
    throw new AssertionError("no database entry in " + ready.body());
  }

  /** Rows whose username starts with {@code prefix} (case aside, a name is unique: this counts them all). */
  static int storedCount(int port, String prefix) throws Exception {
    try (Connection connection = TestDatabase.connect(port);
        PreparedStatement query = connection.prepareStatement("SELECT count(*) FROM users WHERE username LIKE ?")) {
      query.setString(1, prefix + "\\_%");
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    }
  }

  /** Usernames starting with {@code prefix} in the database at {@code port}. */
  static Set<String> storedNames(int port, String prefix) throws Exception {
    Set<String> names = new HashSet<>();
    try (Connection connection = TestDatabase.connect(port);
        PreparedStatement query = connection.prepareStatement("SELECT username FROM users WHERE username LIKE ?")) {
      query.setString(1, prefix + "\\_%");
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          names.add(rows.getString(1));
        }
      }
    }
    return names;
  }
}
