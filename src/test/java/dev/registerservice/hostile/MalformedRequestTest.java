package dev.registerservice.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A corpus of broken and ambiguous requests (src/test/resources/malformed, described in cases.csv), each sent
 * on its own connection: it gets the status RFC 9112 asks for, or a clean close; never a 500 or a stack trace;
 * protocol rejections are counted by reason; and the server keeps serving.
 */
class MalformedRequestTest {
  private static final Path CORPUS = Path.of("src/test/resources/malformed");
  private static final String REJECTED = "http_server_requests_rejected_total";
  private static RunningService service;
  private static LogCapture log;

  @BeforeAll
  static void start() {
    log = LogCapture.attach();
    service = RunningService.start(Map.of("REGISTER_HEADER_TIMEOUT_SECONDS", "1"));
  }

  @AfterAll
  static void stop() throws Exception {
    service.close();
    log.close();
  }

  static Stream<Arguments> cases() throws IOException {
    return Files.readAllLines(CORPUS.resolve("cases.csv")).stream()
        .filter(line -> !line.startsWith("#") && !line.isBlank())
        .map(line -> line.split(",", -1))
        .map(f -> Arguments.of(f[0], f[1], f[2]));
  }

  @Test
  void theCorpusHasAtLeastFiftyRequests() throws IOException {
    assertThat(cases().count()).isGreaterThanOrEqualTo(50);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("cases")
  void eachBrokenRequestGetsWhatTheRfcAsksForAndTheServerKeepsServing(String file, String expected, String reason)
      throws Exception {
    byte[] request = Files.readAllBytes(CORPUS.resolve(file));
    List<List<String>> alternatives = Arrays.stream(expected.split("\\|"))
        .map(alt -> Arrays.stream(alt.trim().split(" ")).filter(s -> !s.equals("close")).toList())
        .toList();
    int longest = alternatives.stream().mapToInt(List::size).max().orElse(0);
    Scrape before = service.scrape();

    List<String> statuses = new ArrayList<>();
    try (Socket socket = RawHttp.connect(service.port())) {
      socket.setSoTimeout(3_000);
      socket.getOutputStream().write(request);
      InputStream in = new BufferedInputStream(socket.getInputStream());
      while (statuses.size() < longest) {
        RawHttp.Response response;
        try {
          response = RawHttp.read(in, false);
        } catch (SocketTimeoutException e) {
          break;
        } catch (IOException e) {
          break; // closed by the server: a clean close ends the exchange
        }
        String body = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(response.status()).as(file).isNotEqualTo(500).isBetween(200, 505);
        assertThat(body).as(file).doesNotContain("Exception").doesNotContain("\tat ");
        statuses.add(String.valueOf(response.status()));
      }
    }
    assertThat(alternatives).as(file + " answered " + statuses).contains(statuses);

    Scrape after = service.scrape();
    double rejected = after.sum(REJECTED) - before.sum(REJECTED);
    if (!reason.isEmpty()) {
      assertThat(after.value(REJECTED + "{reason=\"" + reason + "\"}")
          - before.value(REJECTED + "{reason=\"" + reason + "\"}")).as(file).isEqualTo(1.0);
      assertThat(rejected).as(file).isEqualTo(1.0);
    } else if (statuses.stream().noneMatch(s -> s.equals("400") || s.equals("414") || s.equals("431"))) {
      assertThat(rejected).as(file + " is not a protocol rejection").isZero();
    }

    try (Socket healthy = RawHttp.connect(service.port())) {
      RawHttp.send(healthy, RawHttp.get("/user/register"));
      assertThat(RawHttp.read(healthy.getInputStream(), false).status()).isEqualTo(200);
    }
    assertThat(log.atLeast(Level.ERROR)).isEmpty();
  }

  @Test
  void aSmuggledRequestBehindContentLengthAndTransferEncodingIsNeverServed() throws Exception {
    String attack = "POST /user/register HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "0\r\n\r\nGET /user/register HTTP/1.1\r\nHost: x\r\n\r\n";
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, attack);
      InputStream in = socket.getInputStream();
      assertThat(RawHttp.read(in, false).status()).isEqualTo(400);
      // The connection is closed after the 400: the GET behind it gets no response.
      assertThat(in.readAllBytes()).isEmpty();
    }
  }

  @Test
  void a70KilobyteUriGets414ThatTheClientCanReadNotAReset() throws Exception {
    String uri = "/" + "a".repeat(70_000);
    for (int i = 0; i < 5; i++) {
      try (Socket socket = RawHttp.connect(service.port())) {
        // Sent all at once: most of it is still unread on the server when the 414 goes out.
        socket.getOutputStream().write(("GET " + uri + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);
        assertThat(response.status()).isEqualTo(414);
        assertThat(socket.getInputStream().read()).as("then a clean FIN").isEqualTo(-1);
      }
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> service.scrape().value("http_server_connections_open") == 0);
  }
}
