package dev.registerservice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.config.Setting;
import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.ServiceProcess;
import dev.registerservice.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The schema's versions on the packaged jar, as a user meets them: a second start on the same embedded data
 * logs what the first did but the migration itself and no WARN; two replicas starting at once on one empty
 * external PostgreSQL make one schema without a WARN or an ERROR; a later release whose script fails logs one
 * ERROR naming the script, answers registrations 503, says why in readiness and serves everything else, and
 * the release after it (a script that applies) migrates the same database on.
 *
 * <p>Stall warnings are left out of the "no WARN" checks and printed: on a busy machine a loop can be starved
 * at any moment, which says nothing about the database. Bounds: each start ready within 30 s, its database
 * ready within 60 s; a stop within 30 s.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MigrationsIT {
  private static final Duration DATABASE_READY = Duration.ofSeconds(60);
  private static final String READY = "Database - Database ready in ";
  private final TestDatabase server = TestDatabase.shared();

  @Test
  void aSecondStartOnTheSameDataLogsWhatTheFirstDidButTheMigrationAndNoWarning() throws Exception {
    Path data = Files.createTempDirectory("register-two-starts");
    Map<String, String> env = Map.of("REGISTER_DB_EMBEDDED", "true", "REGISTER_DATA_DIR", data.toString(),
        "REGISTER_WARMUP_REQUESTS", Setting.WARMUP_REQUESTS.defaultValue());
    List<String> first = runUntilDatabaseReady(env, "first");
    List<String> second = runUntilDatabaseReady(env, "second");

    assertThat(readyLine(first)).endsWith("schema at version 1, applied V1__users_and_submissions.sql");
    assertThat(readyLine(second)).endsWith("schema at version 1, nothing to migrate");
    assertThat(warningsAndErrors(first)).as("first start").isEmpty();
    assertThat(warningsAndErrors(second)).as("second start").isEmpty();
    assertThat(shapes(second)).as("the second start's lines, numbers and paths aside")
        .isEqualTo(shapes(first).stream().map(line -> line.replace("applied V#__users_and_submissions.sql",
            "nothing to migrate")).toList());
  }

  @Test
  void twoReplicasStartingAtOnceOnAnEmptyDatabaseMakeOneSchema() throws Exception {
    String database = server.newDatabase("replicas");
    Map<String, String> env = Map.of("REGISTER_DB_URL", server.url(database));
    try (ServiceProcess a = ServiceProcess.launch(env); ServiceProcess b = ServiceProcess.launch(env)) {
      awaitDatabaseReady(a);
      awaitDatabaseReady(b);
      assertThat(List.of(readyLine(a.output()), readyLine(b.output())))
          .as("one replica applied V1, the other found nothing to do")
          .anySatisfy(line -> assertThat(line).endsWith("applied V1__users_and_submissions.sql"))
          .anySatisfy(line -> assertThat(line).endsWith("nothing to migrate"));
      assertThat(register(a, "ReplicaA").statusCode()).isEqualTo(201);
      assertThat(register(b, "ReplicaB").statusCode()).isEqualTo(201);
      assertThat(warningsAndErrors(a.output())).as("replica a").isEmpty();
      assertThat(warningsAndErrors(b.output())).as("replica b").isEmpty();
    }
    assertThat(rows(database, "SELECT version || ' ' || script || ' ' || success FROM flyway_schema_history"))
        .containsExactly("1 V1__users_and_submissions.sql true");
  }

  @Test
  void aFailingScriptStopsRegistrationWithOneErrorAndTheNextReleaseMigratesOn() throws Exception {
    String database = server.newDatabase("release");
    Map<String, String> env = Map.of("REGISTER_DB_URL", server.url(database));
    try (ServiceProcess current = ServiceProcess.start(env)) {
      awaitDatabaseReady(current);
      assertThat(register(current, "BeforeRelease").statusCode()).isEqualTo(201);
      stop(current);
    }

    Path failing = Path.of("target/test-classes/migrations/next-release-fails");
    try (ServiceProcess broken = ServiceProcess.start(env, failing)) {
      await().atMost(DATABASE_READY)
          .until(() -> broken.output().stream().anyMatch(line -> line.contains("Schema migration")));
      String error = "V2__nickname_required.sql failed: ERROR: column \"nickname\" of relation \"users\" contains"
          + " null values (SQLSTATE 23502)";
      JsonObject ready = readiness(broken);
      assertThat(ready.getString("status")).isEqualTo("UP");
      JsonObject entry = ready.getJsonArray("checks").stream().map(JsonObject.class::cast)
          .filter(check -> check.getString("id").equals("database")).findFirst().orElseThrow();
      assertThat(entry.getJsonObject("data").getString("reason")).isEqualTo("schema migration failed: " + error);
      assertThat(register(broken, "DuringFailure").statusCode()).isEqualTo(503);
      assertThat(Registrations.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + broken.port() + "/user/register")).build()).statusCode()).isEqualTo(200);
      Thread.sleep(3_000);
      assertThat(warningsAndErrors(broken.output())).as("one ERROR, nothing retried")
          .containsExactly("ERROR [database-start] Database - Schema migration failed, so POST /user/register answers"
              + " 503 until the script or the database is fixed and the service restarted (the page and everything"
              + " else keep working): " + error);
      stop(broken);
    }
    assertThat(rows(database, "SELECT version FROM flyway_schema_history")).containsExactly("1");

    try (ServiceProcess next = ServiceProcess.start(env, Path.of("target/test-classes/migrations/next-release"))) {
      awaitDatabaseReady(next);
      assertThat(readyLine(next.output())).endsWith("schema at version 2, applied V2__users_nickname.sql");
      assertThat(warningsAndErrors(next.output())).isEmpty();
    }
    assertThat(rows(database, "SELECT username || ' ' || coalesce(nickname, '-') FROM users"))
        .singleElement().asString().startsWith("BeforeRelease_").endsWith(" -");
  }

  /** Starts the jar, waits for its database, registers one user, stops it: every line it printed. */
  private static List<String> runUntilDatabaseReady(Map<String, String> env, String which) throws Exception {
    try (ServiceProcess service = ServiceProcess.start(env)) {
      awaitDatabaseReady(service);
      assertThat(register(service, "Start" + which).statusCode()).isEqualTo(201);
      stop(service);
      List<String> lines = service.output();
      System.out.println("=== " + which + " start:\n" + String.join("\n", lines));
      return lines;
    }
  }

  private static void stop(ServiceProcess service) throws InterruptedException {
    service.terminate();
    assertThat(service.waitFor(Duration.ofSeconds(30))).isZero();
  }

  private static void awaitDatabaseReady(ServiceProcess service) {
    await().atMost(DATABASE_READY).until(() -> readyLine(service.output()) != null || !service.isAlive());
    assertThat(service.isAlive()).as("alive: " + service.output()).isTrue();
  }

  private static String readyLine(List<String> lines) {
    return lines.stream().filter(line -> line.contains(READY)).findFirst().orElse(null);
  }

  /** WARN and ERROR lines but stall warnings (printed), from the level on. */
  private static List<String> warningsAndErrors(List<String> lines) {
    List<String> found = new ArrayList<>();
    for (String line : lines) {
      String[] parts = line.split(" ", 2);
      if (parts.length == 2 && (parts[1].startsWith("WARN") || parts[1].startsWith("ERROR"))) {
        if (line.contains(" StallLog - ")) {
          System.out.println("(stall, not held against the start) " + line);
        } else {
          found.add(parts[1].replaceFirst("^(WARN|ERROR) +", "$1 "));
        }
      }
    }
    return found;
  }

  /** Each line without its time, thread, numbers and paths: what was said, not when or where. */
  private static List<String> shapes(List<String> lines) {
    return lines.stream().filter(line -> !line.contains(" StallLog - ") && !line.contains("[SIGTERM handler]"))
        .map(line -> line.replaceFirst("^\\S+ (\\S+) +\\[[^]]*] ", "$1 ").replaceAll("/\\S+", "PATH")
            .replaceAll("\\d+", "#")).toList();
  }

  private static HttpResponse<String> register(ServiceProcess service, String name) {
    return Registrations.postJson(service.port(), Registrations.valid(Registrations.uniqueName(name)));
  }

  private static JsonObject readiness(ServiceProcess service) {
    return new JsonObject(Registrations.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + service.managementPort() + "/health/ready")).build()).body());
  }

  private List<String> rows(String database, String query) {
    return server.rows(database, query);
  }
}
