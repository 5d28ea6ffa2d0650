package dev.registerservice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.RunningService;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** GET/HEAD /user/register as the wire shows it, over raw sockets. */
class RegisterPageWireTest {
  private static RunningService service;
  private static byte[] page;

  @BeforeAll
  static void start() {
    service = RunningService.start();
    page = RegisterPage.render(16_384, 4_096).bytes();
  }

  @AfterAll
  static void stop() throws Exception {
    service.close();
  }

  @Test
  void defaultPageIsFourChunksOf4KiBEndingWithTheZeroChunk() throws Exception {
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, RawHttp.get("/user/register"));
      RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);

      assertThat(response.status()).isEqualTo(200);
      assertThat(response.header("content-type")).isEqualTo("text/html; charset=utf-8");
      assertThat(response.header("transfer-encoding")).isEqualTo("chunked");
      assertThat(response.header("content-length")).isNull();
      assertThat(response.chunkSizes()).containsExactly(4096, 4096, 4096, 4096);
      assertThat(response.sawTerminator()).isTrue();
      assertThat(response.body()).isEqualTo(page);
    }
  }

  @Test
  void pageIsACompleteRegistrationForm() {
    String html = new String(page, StandardCharsets.UTF_8);
    assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n");
    assertThat(html).contains("<form method=\"post\" action=\"/user/register\"",
        "name=\"username\"", "name=\"email\"", "name=\"password\"", "name=\"country\"", "name=\"terms\"");
    // Every ISO 3166 country, plus the placeholder.
    assertThat(html.split("<option ", -1).length - 1).isEqualTo(Locale.getISOCountries().length + 1);
    assertThat(html).contains(">Germany</option>", ">Japan</option>", ">Brazil</option>");
  }

  @Test
  void transportIsNativeEpoll() throws Exception {
    assertThat(service.service().nativeTransport()).isTrue();
    // The version vertx-core's own Maven metadata names, not the one the service reads at run time.
    Properties vertxCore = new Properties();
    try (InputStream in = getClass().getResourceAsStream("/META-INF/maven/io.vertx/vertx-core/pom.properties")) {
      vertxCore.load(in);
    }
    String vertxVersion = vertxCore.getProperty("version");
    assertThat(vertxVersion).isNotBlank();
    assertThat(service.scrape().value(
        "build_info{transport=\"epoll\",version=\"dev\",vertx_version=\"" + vertxVersion + "\"}"))
        .isEqualTo(1.0);
  }

  @Test
  void manySequentialRequestsOnOneKeepAliveConnection() throws Exception {
    try (Socket socket = RawHttp.connect(service.port())) {
      InputStream in = socket.getInputStream();
      for (int i = 0; i < 200; i++) {
        RawHttp.send(socket, RawHttp.get("/user/register"));
        RawHttp.Response response = RawHttp.read(in, false);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(page);
      }
    }
  }

  @Test
  void pipelinedRequestsComeBackInOrder() throws Exception {
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, RawHttp.get("/user/register") + RawHttp.get("/nope") + RawHttp.get("/user/register")
          + "HEAD /user/register HTTP/1.1\r\nHost: x\r\n\r\n" + RawHttp.get("/user/register"));
      InputStream in = socket.getInputStream();
      assertThat(RawHttp.read(in, false).body()).isEqualTo(page);
      assertThat(RawHttp.read(in, false).status()).isEqualTo(404);
      assertThat(RawHttp.read(in, false).body()).isEqualTo(page);
      RawHttp.Response head = RawHttp.read(in, true);
      assertThat(head.status()).isEqualTo(200);
      RawHttp.Response last = RawHttp.read(in, false);
      assertThat(last.chunkSizes()).containsExactly(4096, 4096, 4096, 4096);
      assertThat(last.body()).isEqualTo(page);
    }
  }

  @Test
  void headHasTheHeadersOfGetAndNoBodyThenGetParsesOnTheSameConnection() throws Exception {
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, "HEAD /user/register HTTP/1.1\r\nHost: x\r\n\r\n");
      InputStream in = socket.getInputStream();
      RawHttp.Response head = RawHttp.read(in, true);
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.header("content-type")).isEqualTo("text/html; charset=utf-8");
      assertThat(head.header("transfer-encoding")).isEqualTo("chunked");
      // No body and no terminating zero chunk: the next bytes on the wire are the GET's status line.
      RawHttp.send(socket, RawHttp.get("/user/register"));
      RawHttp.Response get = RawHttp.read(in, false);
      assertThat(get.status()).isEqualTo(200);
      assertThat(get.body()).isEqualTo(page);
    }
  }

  @Test
  void http10ClientsGetContentLengthInsteadOfChunks() throws Exception {
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, "GET /user/register HTTP/1.0\r\n\r\n");
      RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.header("transfer-encoding")).isNull();
      assertThat(response.header("content-length")).isEqualTo("16384");
      assertThat(response.body()).isEqualTo(page);
    }
  }

  @Test
  void unknownPathIs404WrongMethodIs405WithAllowUnknownMethodIs501() throws Exception {
    Map<String, Double> before = service.scrape().series();
    try (Socket socket = RawHttp.connect(service.port())) {
      InputStream in = socket.getInputStream();
      RawHttp.send(socket, RawHttp.get("/user/unknown"));
      assertThat(RawHttp.read(in, false).status()).isEqualTo(404);
      RawHttp.send(socket, "DELETE /user/register HTTP/1.1\r\nHost: x\r\n\r\n");
      RawHttp.Response notAllowed = RawHttp.read(in, false);
      assertThat(notAllowed.status()).isEqualTo(405);
      assertThat(notAllowed.header("allow")).isEqualTo("GET, HEAD, POST");
      RawHttp.send(socket, "BREW /user/register HTTP/1.1\r\nHost: x\r\n\r\n");
      RawHttp.Response brew = RawHttp.read(in, false);
      assertThat(brew.status()).isEqualTo(501);
      assertThat(new String(brew.body(), StandardCharsets.UTF_8)).doesNotContain("Exception");
      RawHttp.send(socket, RawHttp.get("/user/register"));
      assertThat(RawHttp.read(in, false).body()).isEqualTo(page);
    }
    // Every answer is counted by method, route and status; unknown paths and methods share one value each.
    Map<String, Double> after = service.scrape().series();
    for (String series : new String[] {
        "{code=\"404\",method=\"GET\",route=\"unmatched\"}",
        "{code=\"405\",method=\"DELETE\",route=\"/user/register\"}",
        "{code=\"501\",method=\"other\",route=\"/user/register\"}",
        "{code=\"200\",method=\"GET\",route=\"/user/register\"}"}) {
      String count = "http_server_requests_seconds_count" + series;
      assertThat(after.get(count) - before.getOrDefault(count, 0.0)).as(count).isEqualTo(1.0);
    }
  }

  @Test
  void aClientThatDoesNotReadHoldsOnlyTheWriteQueueThenGetsTheWholeBody() throws Exception {
    int bodyBytes = 64 << 20;
    int writeQueue = 65_536;
    try (RunningService big = RunningService.start(Map.of(
        "REGISTER_BODY_BYTES", String.valueOf(bodyBytes),
        "REGISTER_WRITE_QUEUE_BYTES", String.valueOf(writeQueue)));
        Socket socket = RawHttp.connect(big.port())) {
      socket.setReceiveBufferSize(64 * 1024);
      RawHttp.send(socket, RawHttp.get("/user/register"));
      // The server writes until its queue is full, then waits: the gauge settles at or under the bound.
      AtomicLong lastQueued = new AtomicLong(-1);
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        double queued = big.scrape().value("http_server_response_queued_bytes");
        boolean settled = queued > 0 && queued == lastQueued.get();
        lastQueued.set((long) queued);
        return settled;
      });
      for (int i = 0; i < 5; i++) {
        assertThat(big.scrape().value("http_server_response_queued_bytes"))
            .isLessThanOrEqualTo(writeQueue + 4096 + 1024);
      }
      RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);
      byte[] expected = RegisterPage.render(bodyBytes, 4096).bytes();
      assertThat(response.body().length).isEqualTo(bodyBytes);
      assertThat(response.body()).isEqualTo(expected);
      assertThat(response.chunkSizes()).allMatch(size -> size <= 4096);
      await().atMost(Duration.ofSeconds(30))
          .until(() -> big.scrape().value("http_server_response_queued_bytes") == 0.0);
    }
  }
}
