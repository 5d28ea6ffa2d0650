package dev.registerservice.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * Issue 14, on real sockets: each RFC 9112 rule the decoder enforces gets its refusal (status, HTTP/1.1 status
 * line, {@code Connection: close}, {@code Date}, then FIN), counted once by its reason; smuggled requests are
 * never served; and valid-but-unusual requests keep working.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Rfc9112StrictnessTest {
  private static final String REJECTED = "http_server_requests_rejected_total";
  private static final String CHUNKED_POST = "POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  private static RunningService service;
  private static LogCapture log;

  @BeforeAll
  static void start() {
    log = LogCapture.attach();
    service = RunningService.start(Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    service.close();
    log.close();
  }

  static Stream<Arguments> refusals() {
    return Stream.of(
        // 1. obs-fold, with SP and with HTAB, in the head and in the trailers.
        Arguments.of("obs-fold SP", "GET /user/register HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400, "obs_fold"),
        Arguments.of("obs-fold HTAB", "GET /user/register HTTP/1.1\r\nX-A: a\r\n\tb\r\nHost: x\r\n\r\n", 400, "obs_fold"),
        Arguments.of("obs-fold in trailer", CHUNKED_POST + "0\r\nX-T: a\r\n b\r\n\r\n", 400, "obs_fold"),
        // 2. Host values.
        Arguments.of("Host: a b", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "bad_host"),
        Arguments.of("Host: a, b", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", 400, "bad_host"),
        Arguments.of("Host: a/b", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "bad_host"),
        Arguments.of("Host: x:8o", "GET / HTTP/1.1\r\nHost: x:8o\r\n\r\n", 400, "bad_host"),
        Arguments.of("HTTP/1.0 Host: a b", "GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 400, "bad_host"),
        // 3. HTTP/1.0 with Transfer-Encoding, keep-alive asked for or not, with or without Content-Length.
        Arguments.of("HTTP/1.0 + TE", "POST /nope HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
            "transfer_encoding_in_http10"),
        Arguments.of("HTTP/1.0 keep-alive CL+TE", "POST /nope HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 4\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "transfer_encoding_in_http10"),
        // 4. Transfer codings: 400 when the length cannot be determined, 501 for a coding we do not implement.
        Arguments.of("TE: gzip, chunked", "POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            501, "unsupported_transfer_coding"),
        Arguments.of("TE: deflate + TE: chunked", "POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: deflate\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, "unsupported_transfer_coding"),
        Arguments.of("TE: chunked twice", "POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "bad_transfer_encoding"),
        Arguments.of("TE: chunked, chunked", "POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"
            + "0\r\n\r\n", 400, "bad_transfer_encoding"),
        Arguments.of("TE: gzip", "POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
            "bad_transfer_encoding"),
        Arguments.of("TE: chunked;x=1", "POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;x=1\r\n\r\n0\r\n\r\n",
            400, "bad_transfer_encoding"),
        // 5 and 6. Malformed chunked bodies, sent with their head.
        Arguments.of("chunk size -1", CHUNKED_POST + "-1\r\n\r\n", 400, "bad_chunk"),
        Arguments.of("chunk size INVALID!!!", CHUNKED_POST + "INVALID!!!\r\nabc\r\n0\r\n\r\n", 400, "bad_chunk"),
        Arguments.of("chunk size leading SP", CHUNKED_POST + " 3\r\nabc\r\n0\r\n\r\n", 400, "bad_chunk"),
        Arguments.of("chunk size then junk", CHUNKED_POST + "3 junk\r\nabc\r\n0\r\n\r\n", 400, "bad_chunk"),
        Arguments.of("chunk size then SP", CHUNKED_POST + "3 \r\nabc\r\n0\r\n\r\n", 400, "bad_chunk"),
        Arguments.of("bare CR in extension", CHUNKED_POST + "3;a=b\rc\r\nabc\r\n0\r\n\r\n", 400, "bad_chunk"),
        Arguments.of("bare LF after size", CHUNKED_POST + "3\nabc\r\n0\r\n\r\n", 400, "bad_chunk"),
        Arguments.of("data longer than size", CHUNKED_POST + "3\r\nabcd\r\n0\r\n\r\n", 400, "bad_chunk"),
        Arguments.of("size beyond an int", CHUNKED_POST + "80000000\r\nabc\r\n", 400, "bad_chunk"),
        // 7. Request targets.
        Arguments.of("target !", "GET ! HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target"),
        Arguments.of("userinfo", "GET http://user@x/user/register HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target"),
        Arguments.of("user:password", "GET http://u:p@x/user/register HTTP/1.1\r\nHost: x\r\n\r\n", 400,
            "bad_request_target"),
        Arguments.of("* for GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target"),
        Arguments.of("authority-form for GET", "GET x:80 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target"),
        Arguments.of("bad percent-escape", "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target"),
        Arguments.of("fragment", "GET /user/register#x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_target"),
        // 8. Versions: the status line is HTTP/1.1 whatever the request said.
        Arguments.of("HTTP/4294967295.255", "GET / HTTP/4294967295.255\r\nHost: x\r\n\r\n", 400, "bad_request"),
        Arguments.of("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "unsupported_version"),
        Arguments.of("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505, "unsupported_version"),
        Arguments.of("http/1.1", "GET / http/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
        Arguments.of("two spaces", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
        // 9. A refusal Netty itself makes, on an HTTP/1.0 request: still HTTP/1.1 and Connection: close.
        Arguments.of("HTTP/1.0 space in field name", "GET / HTTP/1.0\r\nBad Name: y\r\n\r\n", 400, "bad_request"));
  }

  @ParameterizedTest(name = "{0} -> {2} {3}")
  @MethodSource("refusals")
  void eachRefusalIsReadableClosesAndIsCountedOnce(String name, String request, int status, String reason)
      throws Exception {
    Scrape before = service.scrape();
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, request);
      InputStream in = socket.getInputStream();
      Head head = Head.read(in);
      assertThat(head.statusLine).as(name).startsWith("HTTP/1.1 " + status + " ");
      assertThat(head.headers).as(name).containsEntry("connection", "close").containsKey("date");
      assertThat(head.bodyLength).as(name).isZero();
      assertThat(readToEnd(socket, in)).as(name + ": nothing after the refusal, then FIN").isEmpty();
    }
    assertCountedOnce(before, reason);
    assertHealthy();
  }

  @Test
  void theRequestHiddenBehindAnObsFoldIsNeverServed() throws Exception {
    // A front end that reads " Transfer-Encoding: chunked" as a field of its own ends the body at "0\r\n\r\n"
    // and forwards the GET as a second request; Netty would unfold the line and read Content-Length instead.
    String hidden = "GET /user/register HTTP/1.1\r\nHost: x\r\n\r\n";
    String attack = "POST /nope HTTP/1.1\r\nHost: x\r\nFoo: bar\r\n Transfer-Encoding: chunked\r\nContent-Length: "
        + (5 + hidden.length()) + "\r\n\r\n0\r\n\r\n" + hidden;
    Scrape before = service.scrape();
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, attack);
      String everything = readToEnd(socket, socket.getInputStream());
      assertThat(everything).startsWith("HTTP/1.1 400 ");
      assertThat(everything.split("HTTP/1.1 ", -1)).as("exactly one response").hasSize(2);
      assertThat(everything).doesNotContain("200 OK");
    }
    assertCountedOnce(before, "obs_fold");
  }

  @Test
  void aFoldArrivingInALaterWriteIsRefusedToo() throws Exception {
    Scrape before = service.scrape();
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, "GET /user/register HTTP/1.1\r\nHost: x\r\nX-A: a\r\n");
      RawHttp.send(socket, " b\r\n\r\n");
      assertThat(Head.read(socket.getInputStream()).statusLine).startsWith("HTTP/1.1 400 ");
    }
    assertCountedOnce(before, "obs_fold");
  }

  @Test
  void aChunkedBodyThatGoesBadInALaterWriteGets400WhileNoResponseHasStarted() throws Exception {
    Scrape before = service.scrape();
    try (Socket socket = RawHttp.connect(service.port())) {
      // The registration handler waits for the whole form before it answers.
      RawHttp.send(socket, "POST /user/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n5\r\nuser=\r\n");
      await().atMost(Duration.ofSeconds(10))
          .until(() -> service.scrape().value("http_server_responses_in_flight") >= 1);
      RawHttp.send(socket, "zz\r\n");
      InputStream in = socket.getInputStream();
      Head head = Head.read(in);
      assertThat(head.statusLine).startsWith("HTTP/1.1 400 ");
      assertThat(head.headers).containsEntry("connection", "close").containsKey("date");
      assertThat(readToEnd(socket, in)).isEmpty();
    }
    assertCountedOnce(before, "bad_chunk");
    await().atMost(Duration.ofSeconds(10)).until(() -> service.scrape().value("http_server_responses_in_flight") == 0);
    assertHealthy();
  }

  @Test
  void aChunkedBodyThatGoesBadAfterItsResponseWasSentClosesWithoutASecondResponse() throws Exception {
    Scrape before = service.scrape();
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, CHUNKED_POST + "3\r\nabc\r\n");
      InputStream in = socket.getInputStream();
      Head head = Head.read(in);
      assertThat(head.statusLine).startsWith("HTTP/1.1 404 ");
      in.readNBytes(head.bodyLength);
      RawHttp.send(socket, "zz\r\n");
      assertThat(readToEnd(socket, in)).as("no second response, then FIN").isEmpty();
    }
    assertCountedOnce(before, "bad_chunk");
  }

  // ---- valid-but-unusual requests keep working, and are not counted as refusals

  static Stream<Arguments> unusualButValid() {
    StringBuilder hundredHeaders = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      hundredHeaders.append("X-Header-").append(i).append(": value ").append(i).append("\r\n");
    }
    return Stream.of(
        Arguments.of("absolute-form", "GET http://127.0.0.1/user/register HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200),
        Arguments.of("absolute-form with port and query", "GET http://127.0.0.1:8080/user/register?a=b&c=%20 HTTP/1.1\r\n"
            + "Host: 127.0.0.1:8080\r\n\r\n", 200),
        Arguments.of("chunked body with extensions and trailers", "GET /user/register HTTP/1.1\r\nHost: x\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n3;name=value;flag;q=\"quoted \\\" string\"\r\nabc\r\n"
            + "2 ; spaced = ext\r\nde\r\n0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n", 200),
        Arguments.of("hex digits in both cases, leading zeros", "GET /user/register HTTP/1.1\r\nHost: x\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n0000A\r\n0123456789\r\na\r\n0123456789\r\n000\r\n\r\n", 200),
        Arguments.of("100 header fields", "GET /user/register HTTP/1.1\r\nHost: x\r\n" + hundredHeaders + "\r\n", 200),
        Arguments.of("a 6000-byte header value", "GET /user/register HTTP/1.1\r\nHost: x\r\nX-Long: "
            + "v".repeat(3000) + " \t" + "w!#$%&'*+-.^_`|~\"(),/:;<=>?@[\\]{}".repeat(80) + "\r\n\r\n", 200),
        Arguments.of("empty lines before the request line", "\r\n\r\nGET /user/register HTTP/1.1\r\nHost: x\r\n\r\n", 200),
        Arguments.of("Host with IPv6 literal and port", "GET /user/register HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200),
        Arguments.of("empty Host", "GET /user/register HTTP/1.1\r\nHost:\r\n\r\n", 200),
        Arguments.of("HTTP/1.2 is served as 1.1", "GET /user/register HTTP/1.2\r\nHost: x\r\n\r\n", 200),
        Arguments.of("OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 200),
        Arguments.of("Transfer-Encoding: Chunked, any case", "GET /user/register HTTP/1.1\r\nHost: x\r\n"
            + "Transfer-Encoding: ChUnKeD\r\n\r\n0\r\n\r\n", 200));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unusualButValid")
  void unusualButValidRequestsAreServedOnAConnectionThatStaysOpen(String name, String request, int status)
      throws Exception {
    Scrape before = service.scrape();
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, request);
      RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);
      assertThat(response.status()).as(name).isEqualTo(status);
      assertThat(response.header("connection")).as(name).isNull();
      assertThat(response.header("date")).as(name).isNotNull();
      // The connection is still good for another request.
      RawHttp.send(socket, RawHttp.get("/user/register"));
      assertThat(RawHttp.read(socket.getInputStream(), false).status()).isEqualTo(200);
    }
    assertThat(service.scrape().sum(REJECTED) - before.sum(REJECTED)).as(name).isZero();
  }

  @Test
  void optionsAsteriskListsEveryMethodTheServerServes() throws Exception {
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
      RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.header("allow")).isEqualTo("GET, HEAD, POST");
      assertThat(response.header("content-length")).isEqualTo("0");
    }
  }

  @Test
  void expect100ContinueStillGetsItsInterimResponse() throws Exception {
    Scrape before = service.scrape();
    try (Socket socket = RawHttp.connect(service.port())) {
      String form = "username=a";
      RawHttp.send(socket, "POST /user/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
          + "Expect: 100-continue\r\nContent-Length: " + form.length() + "\r\n\r\n");
      InputStream in = socket.getInputStream();
      assertThat(Head.read(in).statusLine).startsWith("HTTP/1.1 100 ");
      RawHttp.send(socket, form);
      Head answer = Head.read(in);
      assertThat(answer.statusLine).doesNotStartWith("HTTP/1.1 100 ");
      assertThat(answer.headers).doesNotContainKey("connection").containsKey("date");
    }
    assertThat(service.scrape().sum(REJECTED) - before.sum(REJECTED)).isZero();
  }

  @Test
  void http10KeepAliveServesSeveralRequestsOnOneConnection() throws Exception {
    try (Socket socket = RawHttp.connect(service.port())) {
      for (int i = 0; i < 3; i++) {
        RawHttp.send(socket, "GET /user/register HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("connection")).isEqualToIgnoringCase("keep-alive");
        assertThat(response.header("content-length")).isNotNull();
      }
    }
  }

  @Test
  void everyResponseHasADateInImfFixdateFormat() throws Exception {
    try (Socket socket = RawHttp.connect(service.port())) {
      for (String path : List.of("/user/register", "/nope")) {
        RawHttp.send(socket, RawHttp.get(path));
        RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);
        String date = response.header("date");
        assertThat(date).matches("(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
            + " \\d{4} \\d\\d:\\d\\d:\\d\\d GMT");
        ZonedDateTime sent = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(Duration.between(sent, ZonedDateTime.now()).abs()).isLessThan(Duration.ofSeconds(60));
      }
    }
  }

  // ---- helpers

  private static void assertCountedOnce(Scrape before, String reason) {
    String series = REJECTED + "{reason=\"" + reason + "\"}";
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      Scrape after = service.scrape();
      assertThat(after.value(series) - before.value(series)).as(reason).isEqualTo(1.0);
      assertThat(after.sum(REJECTED) - before.sum(REJECTED)).as("only " + reason).isEqualTo(1.0);
    });
  }

  private static void assertHealthy() throws IOException {
    try (Socket healthy = RawHttp.connect(service.port())) {
      RawHttp.send(healthy, RawHttp.get("/user/register"));
      assertThat(RawHttp.read(healthy.getInputStream(), false).status()).isEqualTo(200);
    }
    assertThat(log.atLeast(Level.ERROR)).isEmpty();
  }

  /** Everything until the server's FIN; fails if the server neither sends more nor closes within 10 s. */
  private static String readToEnd(Socket socket, InputStream in) throws IOException {
    socket.setSoTimeout(10_000);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
        all.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server kept the connection open; read so far: " + all, e);
    }
    return all.toString(StandardCharsets.ISO_8859_1);
  }

  /** A response head read byte by byte (so a 1xx, which has no body, can be read too). */
  private record Head(String statusLine, Map<String, String> headers, int bodyLength) {
    static Head read(InputStream in) throws IOException {
      String status = line(in);
      if (status == null) {
        throw new IOException("connection closed before a status line");
      }
      Map<String, String> headers = new LinkedHashMap<>();
      for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
        int colon = line.indexOf(':');
        headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
      }
      String length = headers.get("content-length");
      return new Head(status, headers, length == null ? 0 : Integer.parseInt(length));
    }

    private static String line(InputStream in) throws IOException {
      List<Byte> bytes = new ArrayList<>();
      for (int b = in.read(); b != -1; b = in.read()) {
        if (b == '\n') {
          StringBuilder s = new StringBuilder();
          bytes.forEach(x -> s.append((char) (x & 0xff)));
          return s.toString().replaceAll("\r$", "");
        }
        bytes.add((byte) b);
      }
      return bytes.isEmpty() ? null : "";
    }
  }
}
