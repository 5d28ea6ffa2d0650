package dev.registerservice.aborts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.KernelReference;
import dev.registerservice.testing.KernelReference.Outcome;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.TestDatabase;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Aborts are counted on every route, by route and method, whichever handler answers: JSON registrations
 * whose clients leave right after sending (before the answer: hashing takes about a hundred ms) are aborts of
 * {@code POST /user/register} with the kernel's cause, and the page's aborts stay {@code GET}'s. Real sockets,
 * a real PostgreSQL. Bound: 30 s for the counters to settle.
 */
class RouteAbortTest {
  private static final int POSTS = 10;
  private static final String ABORTS = "http_server_client_aborts_total";
  private static final String ROUTE = "route=\"/user/register\"";
  private static final String POST = "method=\"POST\"";
  private static final String GET = "method=\"GET\"";
  private static RunningService service;

  @BeforeAll
  static void start() {
    TestDatabase db = TestDatabase.shared();
    service = RunningService.start(Map.of(
        "REGISTER_DB_URL", db.url(),
        // A hash of about a hundred ms: every reset reaches the server long before the answer would.
        "REGISTER_ARGON2_MEMORY_KIB", "19456",
        "REGISTER_ARGON2_ITERATIONS", "4",
        "REGISTER_HASH_QUEUE", "100",
        // A page larger than the socket buffers, so a client that resets mid-page cuts it.
        "REGISTER_BODY_BYTES", String.valueOf(8 << 20)));
    await().atMost(Duration.ofSeconds(30))
        .until(() -> service.scrape().value("registration_database_ready") == 1.0);
  }

  @AfterAll
  static void stop() throws Exception {
    service.close();
  }

  /**
   * A registration's client that leaves right after sending, before the answer (hashing takes about a hundred
   * ms), is an abort of {@code POST /user/register} with the cause the kernel gives: the same clients against
   * a {@link KernelReference} that watches its socket while it "hashes" for 500 ms say ECONNRESET for a reset
   * and a clean EOF for a FIN, and the service's counts must equal the reference's.
   */
  @ParameterizedTest
  @EnumSource(names = {"RESET_AFTER_REQUEST", "CLOSE_AFTER_REQUEST"})
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aRegistrationWhoseClientLeavesBeforeTheAnswerIsAnAbortOfPostWithTheKernelsCause(AbortKind kind)
      throws Exception {
    Map<Outcome, Long> kernel;
    try (KernelReference reference = new KernelReference(created(), 500)) {
      for (int i = 0; i < POSTS; i++) {
        kind.run(reference.port(), post(Registrations.valid(Registrations.uniqueName("ref")).encode()), () -> true);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> reference.ended() == POSTS);
      kernel = reference.outcomes();
    }
    Outcome expected = kind == AbortKind.RESET_AFTER_REQUEST ? Outcome.ECONNRESET : Outcome.EOF;
    assertThat(kernel.get(expected)).as("what the kernel said for %s", kind).isEqualTo(POSTS);

    Scrape before = service.scrape();
    for (int i = 0; i < POSTS; i++) {
      kind.run(service.port(), post(Registrations.valid(Registrations.uniqueName("gone")).encode()), () -> true);
    }
    String cause = "cause=\"" + expected.label() + "\"";
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Scrape after = service.scrape();
      assertThat(delta(before, after, ROUTE, POST)).isEqualTo(POSTS);
      assertThat(delta(before, after, ROUTE, POST, cause)).isEqualTo(POSTS);
      assertThat(delta(before, after, ROUTE, POST, "phase=\"before_headers\"")).isEqualTo(POSTS);
      assertThat(after.value("http_server_responses_in_flight")).isZero();
      assertThat(after.value("http_server_connections_open")).isZero();
    });
    assertThat(delta(before, service.scrape(), ROUTE, GET)).isZero();
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void thePagesAbortsAreGetsWithTheirPhase() throws Exception {
    Scrape before = service.scrape();
    for (int i = 0; i < 3; i++) {
      try (Socket socket = RawHttp.connect(service.port())) {
        RawHttp.send(socket, RawHttp.get("/user/register"));
        // The status line has arrived, so the abort is mid-body; RST with the rest unread.
        socket.getInputStream().readNBytes(16);
        socket.setSoLinger(true, 0);
      }
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Scrape after = service.scrape();
      assertThat(delta(before, after, ROUTE, GET)).isEqualTo(3);
      assertThat(delta(before, after, ROUTE, GET, "phase=\"mid_body\"")).isEqualTo(3);
    });
    assertThat(delta(before, service.scrape(), ROUTE, POST)).isZero();
  }

  private static String post(String json) {
    return "POST /user/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
  }

  /** A registration's answer exactly as the service sends it (a 201), read to the end. */
  private static byte[] created() throws IOException {
    String json = Registrations.valid(Registrations.uniqueName("answer")).encode();
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, post(json).replace("Host: localhost\r\n", "Host: localhost\r\nConnection: close\r\n"));
      byte[] answer = socket.getInputStream().readAllBytes();
      assertThat(new String(answer, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 201 ");
      return answer;
    }
  }

  private static double delta(Scrape before, Scrape after, String... labels) {
    return after.sum(ABORTS, labels) - before.sum(ABORTS, labels);
  }
}
