package dev.registerservice.registration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.ServiceProcess;
import dev.registerservice.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The first registrations after the database is ready pay nothing on an event loop: with a 20 ms stall
 * threshold, 100 registrations right after {@code registration_database_ready} turns 1 (half JSON with an
 * Idempotency-Key, half the form with its submission token, each created and answered 201 or 303) count no
 * {@code blocked} stall: the database path (the statements and their results) was walked before, on the
 * management loop, and the HTTP side by the start-up warm-up. The same registrations on a jar started without
 * any warm-up (the control, same test) do count stalls.
 *
 * <p>As in {@code FirstRequestsIT}, a busy machine can keep a loop off the CPU for 20 ms at any moment; such a
 * stall has another cause and is printed, not held against the warm-up. Bounds: the database ready within 60 s;
 * the registrations one after another, each within 120 s; the scrape read once every loop's probe ticked 100
 * times more (at most 60 s).
 */
class FirstRegistrationsIT {
  private static final int REGISTRATIONS = 100;
  private static final int SETTLED_TICKS = 100;

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void theFirstHundredRegistrationsAfterTheDatabaseIsReadyCountNoBlockedStall() throws Exception {
    double[] cold = stallsOfFirstRegistrations("0");
    double[] warm = stallsOfFirstRegistrations("350");
    // The control: without any warm-up the first registrations load classes on a loop, and the check sees it.
    assertThat(cold[0]).as("stalls (any cause) of the first registrations without warm-up").isPositive();
    assertThat(warm[1]).as("blocked stalls of the first registrations after the warm-up").isZero();
  }

  /** {any cause, blocked} stalls over the first {@link #REGISTRATIONS} registrations once the database is ready. */
  private static double[] stallsOfFirstRegistrations(String warmupRequests) throws Exception {
    TestDatabase server = TestDatabase.shared();
    try (ServiceProcess service = ServiceProcess.start(Map.of(
        "REGISTER_DB_URL", server.url(server.newDatabase("first_registrations")),
        "REGISTER_STALL_THRESHOLD_MS", "20",
        "REGISTER_WARMUP_REQUESTS", warmupRequests))) {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
          .until(() -> Scrape.of(service.managementPort()).value("registration_database_ready") == 1.0);
      Scrape before = Scrape.of(service.managementPort());
      for (int i = 0; i < REGISTRATIONS; i++) {
        String name = Registrations.uniqueName("first");
        HttpResponse<String> answer = i % 2 == 0 ? json(service.port(), name) : form(service.port(), name);
        assertThat(answer.statusCode()).as(name + ": " + answer.body()).isEqualTo(i % 2 == 0 ? 201 : 303);
      }
      Scrape done = Scrape.of(service.managementPort());
      Scrape after = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
          .until(() -> Scrape.of(service.managementPort()), now -> now.everyLoopTickedSince(done, SETTLED_TICKS));
      double any = after.sum("eventloop_stalls_total") - before.sum("eventloop_stalls_total");
      double blocked = after.sum("eventloop_stalls_total", "cause=\"blocked\"")
          - before.sum("eventloop_stalls_total", "cause=\"blocked\"");
      List<String> stalls = service.output().stream().filter(line -> line.contains("StallLog")).toList();
      System.out.printf("warm-up %s: %s stalls over the first %d registrations, %s blocked; every stall logged"
          + " since start:%n%s%n", warmupRequests, any, REGISTRATIONS, blocked, String.join("\n", stalls));
      assertThat(after.value("registrations_total{outcome=\"created\"}")).isEqualTo(REGISTRATIONS);
      return new double[] {any, blocked};
    }
  }

  private static HttpResponse<String> json(int port, String name) {
    return Registrations.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/user/register"))
        .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .POST(HttpRequest.BodyPublishers.ofString(Registrations.valid(name).encode())).build());
  }

  private static HttpResponse<String> form(int port, String name) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("submission", UUID.randomUUID().toString().replace("-", ""));
    fields.put("username", name);
    fields.put("email", name.toLowerCase() + "@example.com");
    fields.put("password", Registrations.PASSWORD);
    fields.put("country", "FR");
    fields.put("terms", "accepted");
    return Registrations.postForm(port, fields);
  }
}
