package dev.registerservice.aborts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.stall.StallLog;
import dev.registerservice.testing.HealthyClients;
import dev.registerservice.testing.KernelReference;
import dev.registerservice.testing.KernelReference.Outcome;
import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.Sockets;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Clients that go away in the middle of the 32 MiB page, produced for real over loopback: every abort is
 * counted once, with the cause the kernel gave, and the connection's close reason with it. The oracle is not
 * ours: the same clients run against a {@link KernelReference} serving the same bytes, which reads the errno
 * of its failing {@code send}/{@code recv} from libc itself. Per kind, its answer is asserted (one answer:
 * what Linux does) and the service's counts must equal it. Then a storm beside healthy clients: nothing leaks,
 * nothing is logged as an error, every abort is counted by the kind of its client. Bounds: 30 s for the
 * counters to settle; 30 s per healthy 32 MiB response in the storm.
 */
class ClientAbortTest {
  private static final int BODY_BYTES = 32 << 20;
  private static final int CLIENTS_PER_KIND = 5;
  private static final String ABORTS = "http_server_client_aborts_total";
  private static final String CLOSED = "http_server_connections_closed_total";
  private static final String PAGE = RawHttp.get("/user/register");
  /** What Linux answers each kind with (net/ipv4/tcp_input.c, tcp_reset: ECONNRESET, or EPIPE in CLOSE_WAIT). */
  private static final Map<AbortKind, Outcome> KERNEL_SAYS = Map.of(
      AbortKind.RESET_MID_BODY, Outcome.ECONNRESET,
      AbortKind.CLOSE_WITH_UNREAD_DATA, Outcome.ECONNRESET,
      AbortKind.CLOSE_AFTER_REQUEST, Outcome.EPIPE,
      AbortKind.RESET_WHILE_PAUSED, Outcome.ECONNRESET);

  private static RunningService service;
  private static KernelReference reference;
  private static LogCapture log;

  @BeforeAll
  static void start() throws IOException {
    log = LogCapture.attach();
    service = RunningService.start(Map.of("REGISTER_BODY_BYTES", String.valueOf(BODY_BYTES)));
    reference = new KernelReference(servedBytes(service.port()), 0);
  }

  @AfterAll
  static void stop() throws Exception {
    reference.close();
    service.close();
    log.close();
  }

  @ParameterizedTest
  @EnumSource(names = {"RESET_MID_BODY", "CLOSE_WITH_UNREAD_DATA", "CLOSE_AFTER_REQUEST", "RESET_WHILE_PAUSED"})
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void eachAbortIsCountedWithTheErrnoTheKernelGave(AbortKind kind) throws Exception {
    Map<Outcome, Long> kernelBefore = reference.outcomes();
    long midBodyBefore = total(reference.midBodyOutcomes());
    long endedBefore = reference.ended();
    for (int i = 0; i < CLIENTS_PER_KIND; i++) {
      kind.run(reference.port(), PAGE, () -> reference.blockedInSendFor(200));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> reference.ended() - endedBefore == CLIENTS_PER_KIND);
    Map<Outcome, Long> kernel = minus(reference.outcomes(), kernelBefore);
    long kernelMidBody = total(reference.midBodyOutcomes()) - midBodyBefore;
    assertThat(nonZero(kernel)).as("what the kernel said for %s", kind)
        .isEqualTo(Map.of(KERNEL_SAYS.get(kind), (long) CLIENTS_PER_KIND));

    Scrape before = service.scrape();
    for (int i = 0; i < CLIENTS_PER_KIND; i++) {
      kind.run(service.port(), PAGE,
          () -> service.scrape().value("http_server_response_queued_bytes") >= 32 * 1024);
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Scrape after = service.scrape();
      assertThat(after.sum(ABORTS) - before.sum(ABORTS)).isEqualTo(CLIENTS_PER_KIND);
      assertThat(after.value("http_server_connections_open")).isZero();
      assertThat(after.value("http_server_response_queued_bytes")).isZero();
      assertThat(after.value("http_server_responses_in_flight")).isZero();
    });
    Scrape after = service.scrape();
    for (Outcome outcome : Outcome.values()) {
      if (outcome != Outcome.COMPLETE) {
        String cause = "cause=\"" + outcome.label() + "\"";
        assertThat(Math.round(after.sum(ABORTS, cause) - before.sum(ABORTS, cause)))
            .as("%s aborts for %s", outcome, kind).isEqualTo(kernel.get(outcome));
      }
    }
    assertThat(Math.round(after.sum(ABORTS, "phase=\"mid_body\"") - before.sum(ABORTS, "phase=\"mid_body\"")))
        .as("aborts after the header section was sent, for %s", kind).isEqualTo(kernelMidBody);
    assertThat(closed(before, after, "client_reset")).as("client_reset closes for %s", kind)
        .isEqualTo(kernel.get(Outcome.ECONNRESET));
    assertThat(closed(before, after, "client_close")).as("client_close closes for %s", kind)
        .isEqualTo(kernel.get(Outcome.EPIPE) + kernel.get(Outcome.EOF));
    assertThat(after.value("http_server_client_abort_sent_bytes_count")
        - before.value("http_server_client_abort_sent_bytes_count")).isEqualTo(CLIENTS_PER_KIND);
    assertNoErrorLogged();
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void aStormOfAbortsNeitherStallsHealthyClientsNorLeaks() throws Exception {
    int port = service.port();
    // Warm up, then take the baseline.
    for (int i = 0; i < 20; i++) {
      AbortKind.values()[i % 3].run(port, PAGE, () -> true);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> service.scrape().value("http_server_connections_open") == 0);
    int fdsBefore = Sockets.openFileDescriptors();
    Scrape before = service.scrape();

    AbortKind[] kinds = {AbortKind.RESET_MID_BODY, AbortKind.CLOSE_WITH_UNREAD_DATA, AbortKind.CLOSE_AFTER_REQUEST};
    int perKind = 600;
    try (HealthyClients healthy = new HealthyClients(port, 2, BODY_BYTES, 30_000)) {
      ExecutorService stormPool = Executors.newFixedThreadPool(16);
      List<Future<?>> storm = new ArrayList<>();
      for (int i = 0; i < perKind * kinds.length; i++) {
        AbortKind kind = kinds[i % kinds.length];
        storm.add(stormPool.submit(() -> {
          kind.run(port, PAGE, () -> true);
          return null;
        }));
      }
      for (Future<?> f : storm) {
        f.get(120, TimeUnit.SECONDS);
      }
      stormPool.shutdown();
    }

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Scrape after = service.scrape();
      assertThat(after.value("http_server_connections_open")).isZero();
      assertThat(after.value("http_server_responses_in_flight")).isZero();
      assertThat(after.value("http_server_response_queued_bytes")).isZero();
      assertThat(Sockets.openServerSockets(port)).isZero();
      assertThat(Sockets.openFileDescriptors()).isLessThanOrEqualTo(fdsBefore);
    });
    Scrape after = service.scrape();
    // Every storm client cut its response, and the healthy ones none.
    assertThat(after.sum(ABORTS) - before.sum(ABORTS)).isEqualTo(perKind * kinds.length);
    // A reset is ECONNRESET whatever the timing; a FIN is EPIPE when a write follows it and EOF when the FIN
    // is read first (the kernel itself answers either, depending on what the server does next).
    assertThat(delta(before, after, "cause=\"econnreset\"")).isEqualTo(2 * perKind);
    assertThat(delta(before, after, "cause=\"epipe\"") + delta(before, after, "cause=\"eof\"")).isEqualTo(perKind);
    assertThat(closed(before, after, "client_reset")).isEqualTo(2 * perKind);
    assertThat(after.value("http_server_connections_accepted_total")
        - before.value("http_server_connections_accepted_total")).isEqualTo(perKind * kinds.length + 2);
    assertNoErrorLogged();
  }

  /** The page exactly as the service sends it, read to the end over a healthy connection. */
  private static byte[] servedBytes(int port) throws IOException {
    try (Socket socket = RawHttp.connect(port)) {
      RawHttp.send(socket, "GET /user/register HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      return socket.getInputStream().readAllBytes();
    }
  }

  private static double delta(Scrape before, Scrape after, String label) {
    return after.sum(ABORTS, label) - before.sum(ABORTS, label);
  }

  private static long closed(Scrape before, Scrape after, String reason) {
    String label = "reason=\"" + reason + "\"";
    return Math.round(after.sum(CLOSED, label) - before.sum(CLOSED, label));
  }

  private static Map<Outcome, Long> minus(Map<Outcome, Long> after, Map<Outcome, Long> before) {
    Map<Outcome, Long> delta = new EnumMap<>(Outcome.class);
    after.forEach((outcome, n) -> delta.put(outcome, n - before.get(outcome)));
    return delta;
  }

  private static Map<Outcome, Long> nonZero(Map<Outcome, Long> counts) {
    Map<Outcome, Long> kept = new EnumMap<>(Outcome.class);
    counts.forEach((outcome, n) -> {
      if (n != 0) {
        kept.put(outcome, n);
      }
    });
    return kept;
  }

  private static long total(Map<Outcome, Long> counts) {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  private static void assertNoErrorLogged() {
    List<LogEvent> errors = log.atLeast(Level.ERROR);
    assertThat(errors).as("ERROR lines logged").isEmpty();
    // A stall report carries the stack of whatever the loop ran when a busy machine took the CPU away; it
    // describes the machine, not the aborts this test makes.
    List<LogEvent> withStack = log.events().stream()
        .filter(e -> e.getThrown() != null && !e.getLoggerName().equals(StallLog.class.getName()))
        .toList();
    assertThat(withStack).as("log lines carrying a stack trace").isEmpty();
  }
}
