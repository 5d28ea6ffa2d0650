package dev.registerservice.registration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.storage.EmbeddedDatabase;
import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.ServiceProcess;
import dev.registerservice.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar with its own embedded PostgreSQL: nothing acknowledged is lost when the service, and then
 * the service together with its PostgreSQL, are killed with SIGKILL in the middle of a burst of registrations.
 */
class DurabilityIT {
  private static final int CLIENTS = 6;

  @TempDir
  Path dataDir;
  private final List<ServiceProcess> started = new ArrayList<>();

  /** username -> (id, password) of every registration that got its 201. */
  private final Map<String, Acknowledged> acknowledged = new ConcurrentHashMap<>();

  private record Acknowledged(long id, String password) {
  }

  @AfterEach
  void killEverything() throws IOException {
    started.forEach(ServiceProcess::close);
    killPostgres();
  }

  @Test
  void everyRegistrationThatGot201SurvivesKillingTheServiceAndItsPostgresql() throws Exception {
    // 1. Kill the JVM alone: its PostgreSQL (daemonised by pg_ctl) outlives it and keeps the data directory.
    ServiceProcess first = start();
    burstThenKill(first, false);
    assertThat(EmbeddedDatabase.postmaster(dataDir)).as("PostgreSQL outlived the killed service").isPresent();
    int afterFirst = acknowledged.size();

    // 2. The next start stops that orphan and starts its own; then kill it and its PostgreSQL mid-burst.
    ServiceProcess second = start();
    assertThat(second.output()).anyMatch(line -> line.contains("left running on"));
    burstThenKill(second, true);
    assertThat(acknowledged.size()).isGreaterThan(afterFirst);

    // 3. Every acknowledged user is there after a restart, with a hash that verifies against its password.
    ServiceProcess third = start();
    int port = postgresPort();
    for (Map.Entry<String, Acknowledged> user : acknowledged.entrySet()) {
      Optional<Map<String, String>> row = TestDatabase.user(port, "username = ?", user.getKey());
      assertThat(row).as(user.getKey() + " got 201 and must exist").isPresent();
      assertThat(Long.parseLong(row.get().get("id"))).isEqualTo(user.getValue().id());
      String hash = row.get().get("password_hash");
      assertThat(hash).startsWith("$argon2id$v=19$m=1024,t=1,p=1$");
      assertThat(PasswordHasher.verify(hash, user.getValue().password())).as(user.getKey()).isTrue();
    }
    third.terminate();
    assertThat(third.waitFor(Duration.ofSeconds(30))).isZero();
    assertThat(EmbeddedDatabase.postmaster(dataDir)).as("a clean stop stops PostgreSQL too").isEmpty();
  }

  private ServiceProcess start() throws IOException {
    ServiceProcess service = ServiceProcess.start(Map.of(
        "REGISTER_DB_EMBEDDED", "true",
        "REGISTER_DATA_DIR", dataDir.toString(),
        "REGISTER_ARGON2_MEMORY_KIB", "1024",
        "REGISTER_ARGON2_ITERATIONS", "1",
        "REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS", "0"));
    started.add(service);
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> Scrape.of(service.managementPort()).value("registration_database_ready") == 1.0);
    return service;
  }

  /**
   * Registers from several clients until at least 30 more are acknowledged, then SIGKILLs the service (and,
   * with {@code withPostgres}, every postgres process on the data directory) while the clients keep posting.
   */
  private void burstThenKill(ServiceProcess service, boolean withPostgres) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger round = new AtomicInteger();
    int before = acknowledged.size();
    List<Thread> clients = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      Thread client = new Thread(() -> {
        while (!stop.get()) {
          String name = Registrations.uniqueName("d");
          String password = "password of " + name + " " + round.incrementAndGet();
          JsonObject body = Registrations.valid(name).put("password", password);
          try {
            HttpResponse<String> response = Registrations.CLIENT.send(
                Registrations.post(service.port(), "application/json", body.encode()),
                HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 201) {
              acknowledged.put(name, new Acknowledged(new JsonObject(response.body()).getLong("id"), password));
            }
          } catch (IOException e) {
            // The service is gone: this one was never acknowledged.
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      client.start();
      clients.add(client);
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= before + 30);
    List<ProcessHandle> victims = new ArrayList<>();
    if (withPostgres) {
      ProcessHandle postmaster = EmbeddedDatabase.postmaster(dataDir).orElseThrow();
      victims.add(postmaster);
      victims.addAll(postmaster.descendants().toList());
    }
    ProcessHandle jvm = ProcessHandle.of(service.pid()).orElseThrow();
    victims.add(jvm);
    victims.addAll(jvm.descendants().toList());
    victims.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle victim : victims) {
      victim.onExit().get(10, TimeUnit.SECONDS);
    }
    stop.set(true);
    for (Thread client : clients) {
      client.join(TimeUnit.SECONDS.toMillis(40));
    }
  }

  /** The embedded PostgreSQL's port, from line 4 of its postmaster.pid. */
  private int postgresPort() throws IOException {
    return Integer.parseInt(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(3).trim());
  }

  private void killPostgres() throws IOException {
    Optional<ProcessHandle> postmaster = EmbeddedDatabase.postmaster(dataDir);
    if (postmaster.isPresent()) {
      postmaster.get().descendants().forEach(ProcessHandle::destroyForcibly);
      postmaster.get().destroyForcibly();
    }
  }
}
