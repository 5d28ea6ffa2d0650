package dev.registerservice.registration;

import static dev.registerservice.testing.Registrations.postJson;
import static dev.registerservice.testing.Registrations.uniqueName;
import static dev.registerservice.testing.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.storage.EmbeddedDatabase;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.TestDatabase;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** When registrations cannot be taken now: 503 with Retry-After, counted, and the rest of the service unaffected. */
class RegistrationUnavailableTest {
  private static final String UNAVAILABLE = "registrations_total{outcome=\"unavailable\"}";
  private static final String OVERLOADED = "registrations_total{outcome=\"overloaded\"}";

  @Test
  void withoutADatabaseRegistrationIs503ButThePageAndReadinessAreFine() throws Exception {
    try (RunningService service = RunningService.start()) {
      HttpResponse<String> response = postJson(service.port(), valid(uniqueName("nodb")));
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.headers().firstValue("retry-after")).contains("5");
      Scrape scrape = service.scrape();
      assertThat(scrape.value(UNAVAILABLE)).isEqualTo(1.0);
      assertThat(scrape.value("registration_password_hash_seconds_count")).as("no hashing without a database")
          .isZero();
      assertThat(scrape.value("registration_database_ready")).isZero();
      assertThat(ready(service)).isEqualTo(200);
      try (Socket socket = RawHttp.connect(service.port())) {
        RawHttp.send(socket, RawHttp.get("/user/register"));
        assertThat(RawHttp.read(socket.getInputStream(), false).status()).isEqualTo(200);
      }
    }
  }

  @Test
  void anUnreachableDatabaseIs503AndReadinessDoesNotDependOnIt() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (RunningService service = RunningService.start(Map.of("REGISTER_DB_URL", TestDatabase.url(closedPort)))) {
      assertThat(ready(service)).isEqualTo(200);
      HttpResponse<String> response = postJson(service.port(), valid(uniqueName("unreach")));
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.headers().firstValue("retry-after")).contains("5");
    }
  }

  @Test
  void aDatabaseThatGoesDownMidwayTurnsRegistrationsInto503() throws Exception {
    Path dir = Files.createTempDirectory("register-down-db");
    EmbeddedDatabase db = EmbeddedDatabase.start(dir);
    try (RunningService service = RunningService.start(Map.of("REGISTER_DB_URL", TestDatabase.url(db.port()),
        "REGISTER_ARGON2_MEMORY_KIB", "64", "REGISTER_ARGON2_ITERATIONS", "1"))) {
      Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> service.scrape().value("registration_database_ready") == 1.0);
      assertThat(postJson(service.port(), valid(uniqueName("up"))).statusCode()).isEqualTo(201);
      db.close();
      HttpResponse<String> down = postJson(service.port(), valid(uniqueName("down")));
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.headers().firstValue("retry-after")).contains("5");
      assertThat(service.scrape().value(UNAVAILABLE)).isEqualTo(1.0);
    } finally {
      db.close();
    }
  }

  @Test
  void aFullHashingQueueIs503WithRetryAfterWhileTheOthersAreCreated() throws Exception {
    TestDatabase db = TestDatabase.shared();
    try (RunningService service = RunningService.start(Map.of(
        "REGISTER_DB_URL", db.url(),
        "REGISTER_HASH_THREADS", "1",
        "REGISTER_HASH_QUEUE", "1",
        "REGISTER_ARGON2_MEMORY_KIB", "8192",
        "REGISTER_ARGON2_ITERATIONS", "2"))) {
      Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> service.scrape().value("registration_database_ready") == 1.0);
      List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        burst.add(Registrations.postJsonAsync(service.port(), valid(uniqueName("full"))));
      }
      int created = 0;
      int overloaded = 0;
      for (CompletableFuture<HttpResponse<String>> future : burst) {
        HttpResponse<String> response = future.get(60, TimeUnit.SECONDS);
        if (response.statusCode() == 503) {
          overloaded++;
          assertThat(response.headers().firstValue("retry-after")).contains("1");
        } else {
          assertThat(response.statusCode()).isEqualTo(201);
          created++;
        }
      }
      // One thread and one place: at least the first job is hashed. The second may find the place still taken by
      // the first when the thread (at a lower priority, on a busy machine) has not woken to take it yet: a
      // run beside two CPU hogs created exactly 1, so "at least 2" would test the scheduler, not the queue.
      assertThat(created).isPositive();
      assertThat(overloaded).isPositive();
      assertThat(created + overloaded).isEqualTo(20);
      assertThat(service.scrape().value(OVERLOADED)).isEqualTo(overloaded);
      assertThat(service.scrape().value("executor_queued_tasks{name=\"registration.hash\"}")).isZero();
    }
  }

  private static int ready(RunningService service) {
    return Registrations.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + service.managementPort() + "/health/ready")).build()).statusCode();
  }
}
