package dev.registerservice.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.Nginx;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import java.io.ByteArrayOutputStream;
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
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The request corpus of nodejs/llhttp (src/test/resources/llhttp: MIT, see LICENSE-llhttp and README.md), each
 * case on its own connection: the service answers what cases.csv expects (and says why where llhttp differs),
 * never a 5xx other than 501/505, never a stack trace, and keeps serving. Then the same corpus against Debian's
 * nginx: the service must never accept what nginx refuses unless the case's comment says why ("nginx: ...").
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class LlhttpCorpusTest {
  private static final Path CORPUS = Path.of("src/test/resources/llhttp");
  private static final String REJECTED = "http_server_requests_rejected_total";
  /** Statuses that refuse the request rather than act on it. */
  private static final Set<Integer> REFUSALS = Set.of(400, 408, 411, 413, 414, 431, 501, 505);
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

  record Case(String file, String expected, String reason, String llhttp, String comment) {
    byte[] request() throws IOException {
      return Files.readAllBytes(CORPUS.resolve("requests").resolve(file));
    }
  }

  static List<Case> corpus() throws IOException {
    return Files.readAllLines(CORPUS.resolve("cases.csv")).stream()
        .filter(line -> !line.startsWith("#") && !line.isBlank())
        .map(line -> line.split(",", 5))
        .map(f -> new Case(f[0], f[1], f[2], f[3], f[4]))
        .toList();
  }

  static Stream<Arguments> cases() throws IOException {
    return corpus().stream().map(c -> Arguments.of(c.file(), c));
  }

  @Test
  void everyCaseOfTheCorpusIsThereWithAReason() throws IOException {
    List<Case> corpus = corpus();
    assertThat(corpus).hasSizeGreaterThanOrEqualTo(160);
    try (Stream<Path> files = Files.list(CORPUS.resolve("requests"))) {
      assertThat(files.count()).isEqualTo(corpus.size());
    }
    assertThat(corpus).allSatisfy(c -> assertThat(c.comment()).as(c.file()).isNotBlank());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachCaseGetsWhatItsRowExpectsAndTheServerKeepsServing(String file, Case c) throws Exception {
    List<String> expected = Arrays.stream(c.expected().split(" ")).filter(s -> !s.equals("close")).toList();
    boolean closes = c.expected().endsWith("close");
    Scrape before = service.scrape();
    Exchange exchange = Exchange.run(service.port(), c.request(), expected.size(), closes);
    assertThat(exchange.statuses()).as(file + " (" + c.comment() + ")").isEqualTo(expected);
    assertThat(exchange.text()).as(file).doesNotContain("Exception").doesNotContain("\tat ");
    if (closes) {
      assertThat(exchange.closed()).as(file + ": the server closes").isTrue();
    }
    if (!c.reason().isEmpty()) {
      String series = REJECTED + "{reason=\"" + c.reason() + "\"}";
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        Scrape after = service.scrape();
        assertThat(after.value(series) - before.value(series)).as(file).isEqualTo(1.0);
        assertThat(after.sum(REJECTED) - before.sum(REJECTED)).as(file).isEqualTo(1.0);
      });
    }
    try (Socket healthy = RawHttp.connect(service.port())) {
      RawHttp.send(healthy, RawHttp.get("/user/register"));
      assertThat(RawHttp.read(healthy.getInputStream(), false).status()).isEqualTo(200);
    }
    assertThat(log.atLeast(Level.ERROR)).isEmpty();
  }

  @Test
  void theServiceNeverAcceptsWhatNginxRefusesUnlessTheCaseSaysWhy() throws Exception {
    List<Case> corpus = corpus();
    List<String> moreLenient = new ArrayList<>();
    List<String> stricter = new ArrayList<>();
    List<String> unexplained = new ArrayList<>();
    try (Nginx nginx = Nginx.start()) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<String[]>> results = new ArrayList<>();
        for (Case c : corpus) {
          results.add(pool.submit(() -> {
            Exchange ours = Exchange.run(service.port(), c.request(), Integer.MAX_VALUE, true);
            Exchange theirs = Exchange.run(nginx.port(), c.request(), Integer.MAX_VALUE, true);
            return new String[] {String.valueOf(accepted(ours)), String.valueOf(accepted(theirs)),
                String.join(" ", ours.statuses()), String.join(" ", theirs.statuses())};
          }));
        }
        for (int i = 0; i < corpus.size(); i++) {
          Case c = corpus.get(i);
          String[] r = results.get(i).get(2, TimeUnit.MINUTES);
          String line = c.file() + ": service [" + r[2] + "] nginx [" + r[3] + "]";
          if (Integer.parseInt(r[0]) > Integer.parseInt(r[1])) {
            moreLenient.add(line + " -- " + c.comment());
            if (!c.comment().contains("nginx:")) {
              unexplained.add(line);
            }
          } else if (Integer.parseInt(r[0]) < Integer.parseInt(r[1])) {
            stricter.add(line);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
    System.out.println("== llhttp corpus, " + corpus.size() + " cases: the service accepts what nginx 1.22 refuses in "
        + moreLenient.size() + " (each explained in its comment):");
    moreLenient.forEach(line -> System.out.println("  " + line));
    System.out.println("== ... and refuses what nginx accepts in " + stricter.size() + ":");
    stricter.forEach(line -> System.out.println("  " + line));
    assertThat(unexplained).as("cases the service accepts but nginx refuses, with no \"nginx:\" reason").isEmpty();
  }

  /** How many responses in a row acted on a request before a refusal, a close or something that is not HTTP. */
  private static int accepted(Exchange exchange) {
    int n = 0;
    for (String status : exchange.statuses()) {
      if (!status.matches("\\d{3}") || REFUSALS.contains(Integer.parseInt(status))) {
        break;
      }
      if (Integer.parseInt(status) >= 200) {
        n++;
      }
    }
    return n;
  }

  /** One connection: the request sent whole, the responses read until enough of them, a close, or 2 s of silence. */
  private record Exchange(List<String> statuses, String text, boolean closed) {
    static Exchange run(int port, byte[] request, int enough, boolean toTheEnd) throws IOException {
      boolean head = new String(request, 0, Math.min(5, request.length), StandardCharsets.ISO_8859_1).startsWith("HEAD ");
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      boolean closed = false;
      try (Socket socket = RawHttp.connect(port)) {
        socket.setSoTimeout(2_000);
        try {
          socket.getOutputStream().write(request);
        } catch (IOException e) {
          // The server closed while we were still sending: what it answered is still readable.
        }
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[16384];
        try {
          while (true) {
            int n = in.read(buffer);
            if (n == -1) {
              closed = true;
              break;
            }
            received.write(buffer, 0, n);
            if (!toTheEnd && parse(received.toByteArray(), head).size() >= enough) {
              break;
            }
          }
        } catch (SocketTimeoutException e) {
          // Silence: the server waits for more (keep-alive, or an incomplete request before its timeout).
        } catch (IOException e) {
          closed = true; // reset by the server
        }
        if (!closed && toTheEnd && enough != Integer.MAX_VALUE) {
          socket.setSoTimeout(10_000);
          try {
            for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
              received.write(buffer, 0, n);
            }
            closed = true;
          } catch (IOException e) {
            closed = !(e instanceof SocketTimeoutException);
          }
        }
      }
      byte[] bytes = received.toByteArray();
      return new Exchange(parse(bytes, head), new String(bytes, StandardCharsets.ISO_8859_1), closed);
    }

    /** The status of each complete response, framed by Content-Length or chunked; "junk" for bytes that are not. */
    static List<String> parse(byte[] data, boolean head) {
      List<String> statuses = new ArrayList<>();
      String text = new String(data, StandardCharsets.ISO_8859_1);
      int i = 0;
      while (i < text.length()) {
        int end = text.indexOf("\r\n\r\n", i);
        if (!text.startsWith("HTTP/", i)) {
          statuses.add("junk");
          break;
        }
        if (end < 0) {
          break;
        }
        String[] lines = text.substring(i, end).split("\r\n");
        String status = lines[0].split(" ")[1];
        long length = -1;
        boolean chunked = false;
        for (String line : lines) {
          String lower = line.toLowerCase();
          if (lower.startsWith("content-length:")) {
            length = Long.parseLong(lower.substring(15).trim());
          } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
            chunked = true;
          }
        }
        i = end + 4;
        boolean bodiless = status.startsWith("1") || head && statuses.isEmpty();
        if (!bodiless && chunked) {
          while (true) {
            int lineEnd = text.indexOf("\r\n", i);
            if (lineEnd < 0) {
              return statuses;
            }
            int size = Integer.parseInt(text.substring(i, lineEnd).split(";")[0].trim(), 16);
            i = lineEnd + 2 + size + 2;
            if (size == 0) {
              break;
            }
          }
        } else if (!bodiless && length > 0) {
          i += (int) length;
        }
        if (i > text.length()) {
          break;
        }
        statuses.add(status);
      }
      return statuses;
    }
  }
}
