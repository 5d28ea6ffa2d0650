package dev.registerservice.registration;

import static dev.registerservice.testing.Registrations.PASSWORD;
import static dev.registerservice.testing.Registrations.postForm;
import static dev.registerservice.testing.Registrations.postJson;
import static dev.registerservice.testing.Registrations.uniqueName;
import static dev.registerservice.testing.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.Promtool;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * POST /user/register against the real service and a real PostgreSQL, over real sockets: what each kind of
 * request gets back, what ends up in the table, and what the metrics say.
 */
class RegistrationTest {
  private static final int MEMORY_KIB = 64;
  private static final String HASH_PREFIX = "$argon2id$v=19$m=" + MEMORY_KIB + ",t=1,p=1$";
  private static final String FORM_TYPE = "application/x-www-form-urlencoded";
  private static TestDatabase db;
  private static RunningService service;
  private static LogCapture log;

  @BeforeAll
  static void start() {
    db = TestDatabase.shared();
    log = LogCapture.attach();
    service = RunningService.start(Map.of(
        "REGISTER_DB_URL", db.url(),
        "REGISTER_ARGON2_MEMORY_KIB", String.valueOf(MEMORY_KIB),
        "REGISTER_ARGON2_ITERATIONS", "1",
        "REGISTER_HEADER_TIMEOUT_SECONDS", "1",
        // Room for every one of 100 concurrent registrations: the race below is decided by the index, and
        // its inserts queue for 8 pooled connections on a loaded machine longer than the answer bound allows.
        "REGISTER_HASH_QUEUE", "200",
        "REGISTER_DB_POOL_WAIT_MS", "30000",
        "REGISTER_DB_QUERY_TIMEOUT_MS", "30000",
        "REGISTER_MAX_REQUEST_BODY_BYTES", "16384"));
    Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> service.scrape().value("registration_database_ready") == 1.0);
  }

  @AfterAll
  static void stop() throws Exception {
    service.close();
    log.close();
  }

  private static String errors(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("errors").fieldNames().toString();
  }

  @Test
  void jsonGets201WithTheIdAndTheRowHoldsAnArgon2idHashOfThePasswordAndNothingElseOfIt() {
    String name = uniqueName("Json");
    HttpResponse<String> response = postJson(service.port(), valid(name).put("email", name + "@Example.COM"));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    assertThat(response.headers().firstValue("content-type")).contains("application/json");
    long id = new JsonObject(response.body()).getLong("id");

    Map<String, String> row = db.user(id).orElseThrow();
    assertThat(row.get("username")).isEqualTo(name);
    assertThat(row.get("email")).as("lower-cased").isEqualTo(name.toLowerCase() + "@example.com");
    assertThat(row.get("country")).isEqualTo("FR");
    String hash = row.get("password_hash");
    assertThat(hash).startsWith(HASH_PREFIX).matches("\\$argon2id\\$v=19\\$m=64,t=1,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
    assertThat(PasswordHasher.verify(hash, PASSWORD)).isTrue();
    assertThat(PasswordHasher.verify(hash, PASSWORD + "x")).isFalse();
    for (Map.Entry<String, String> column : row.entrySet()) {
      assertThat(column.getValue()).as(column.getKey()).doesNotContain(PASSWORD).doesNotContain(
          java.util.Base64.getEncoder().withoutPadding().encodeToString(PASSWORD.getBytes(StandardCharsets.UTF_8)));
    }
  }

  @Test
  void aFormPostIsRedirectedToTheConfirmationPage() throws Exception {
    String name = uniqueName("form");
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("username", name);
    fields.put("email", name + "@example.org");
    fields.put("password", PASSWORD);
    fields.put("country", "DE");
    fields.put("terms", "accepted");
    HttpResponse<String> response = postForm(service.port(), fields);
    assertThat(response.statusCode()).isEqualTo(303);
    assertThat(response.headers().firstValue("location")).contains("/user/registered?name=" + name);
    assertThat(db.userNamed(name).orElseThrow().get("country")).isEqualTo("DE");

    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, RawHttp.get("/user/registered?name=" + name));
      RawHttp.Response page = RawHttp.read(socket.getInputStream(), false);
      assertThat(page.status()).isEqualTo(200);
      assertThat(page.header("content-type")).isEqualTo("text/html; charset=utf-8");
      assertThat(new String(page.body(), StandardCharsets.UTF_8)).contains("Account created")
          .contains("Welcome, <strong>" + name + "</strong>");
    }
  }

  @ParameterizedTest(name = "{0} = ''{1}'' is {2}")
  @CsvSource(delimiter = '|', value = {
      "username|ab|invalid",
      "username|abcdefghijklmnopqrstuvwxyz1234567|invalid",
      "username|abc|valid",
      "username|abcdefghijklmnopqrstuvwxyz123456|valid",
      "username|has space|invalid",
      "username|slash/name|invalid",
      "username|ünïcode|invalid",
      "username|ok_name.with-dash|valid",
      "email|no-at-sign|invalid",
      "email|a@localhost|invalid",
      "email|a@@example.com|invalid",
      "email|a..b@example.com|invalid",
      "email|.a@example.com|invalid",
      "email|a@-example.com|invalid",
      "email|a@example.c0m|invalid",
      "email|\"quoted\"@example.com|invalid",
      "email|first.last+tag@sub.example.co.uk|valid",
      "password|elevenchars|invalid",
      "password|twelve chars|valid",
      // Characters as browsers count them (UTF-16 code units), not bytes: 11 x 'é' is 22 bytes and still too short.
      "password|ééééééééééé|invalid",
      "password|éééééééééééé|valid",
      "password|😀😀😀😀😀😀|valid",
      "country|XX|invalid",
      "country|fr|invalid",
      "country|JP|valid",
      "terms|false|invalid",
      "terms|accepted|valid",
  })
  void eachRuleIsEnforcedOnItsField(String field, String value, String expected) {
    String name = uniqueName("r");
    JsonObject body = valid(name);
    if (field.equals("terms") && value.equals("false")) {
      body.put("terms", false);
    } else {
      body.put(field, value);
    }
    if (field.equals("username")) {
      body.put("email", uniqueName("e") + "@example.com");
    }
    HttpResponse<String> response = postJson(service.port(), body);
    if (expected.equals("valid")) {
      assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    } else {
      assertThat(response.statusCode()).isEqualTo(400);
      assertThat(new JsonObject(response.body()).getJsonObject("errors").fieldNames()).containsExactly(field);
    }
  }

  @Test
  void passwordsOfExactly1024BytesPassAnd1025Fail() {
    JsonObject longest = valid(uniqueName("p")).put("password", "p".repeat(1024));
    assertThat(postJson(service.port(), longest).statusCode()).isEqualTo(201);
    HttpResponse<String> tooLong = postJson(service.port(), valid(uniqueName("p")).put("password", "p".repeat(1025)));
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(errors(tooLong)).isEqualTo("[password]");
  }

  @Test
  void everyFailingFieldIsNamedInJsonAndInTheReRenderedForm() {
    HttpResponse<String> json = postJson(service.port(), new JsonObject().put("username", 42));
    assertThat(json.statusCode()).isEqualTo(400);
    JsonObject errors = new JsonObject(json.body()).getJsonObject("errors");
    assertThat(errors.fieldNames()).containsExactlyInAnyOrder("username", "email", "password", "country", "terms");
    assertThat(errors.getString("username")).isEqualTo(RegistrationRules.NOT_A_STRING);
    assertThat(errors.getString("email")).isEqualTo("Enter your email address.");

    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("username", "<b>x");
    fields.put("email", "nope");
    fields.put("password", "tiny secret");
    fields.put("country", "FR");
    HttpResponse<String> form = postForm(service.port(), fields);
    assertThat(form.statusCode()).isEqualTo(400);
    assertThat(form.headers().firstValue("content-type")).contains("text/html; charset=utf-8");
    assertThat(form.body())
        .contains("id=\"username-error\"", "id=\"email-error\"", "id=\"password-error\"", "id=\"terms-error\"")
        .doesNotContain("id=\"country-error\"")
        .contains("value=\"&lt;b>x\"", "value=\"nope\"", "<option value=\"FR\" selected>")
        .doesNotContain("<b>x").doesNotContain("tiny secret");
  }

  @Test
  void aBodyThatIsNotAFormOrAJsonObjectIs400() {
    for (String body : List.of("{not json", "[1,2]", "\"text\"")) {
      HttpResponse<String> response = Registrations.send(Registrations.post(service.port(), "application/json", body));
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(errors(response)).isEqualTo("[body]");
    }
    HttpResponse<String> badEscape = Registrations.send(Registrations.post(service.port(), FORM_TYPE, "username=%zz"));
    assertThat(badEscape.statusCode()).isEqualTo(400);
  }

  @Test
  void duplicatesIgnoringCaseAre409NamingTheField() {
    String name = uniqueName("Dup");
    assertThat(postJson(service.port(), valid(name)).statusCode()).isEqualTo(201);

    HttpResponse<String> sameName = postJson(service.port(),
        valid(name.toUpperCase()).put("email", uniqueName("other") + "@example.com"));
    assertThat(sameName.statusCode()).isEqualTo(409);
    assertThat(errors(sameName)).isEqualTo("[username]");

    HttpResponse<String> sameEmail = postJson(service.port(),
        valid(uniqueName("other")).put("email", name.toUpperCase() + "@EXAMPLE.com"));
    assertThat(sameEmail.statusCode()).isEqualTo(409);
    assertThat(errors(sameEmail)).isEqualTo("[email]");

    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("username", name.toLowerCase());
    fields.put("email", uniqueName("f") + "@example.com");
    fields.put("password", PASSWORD);
    fields.put("country", "FR");
    fields.put("terms", "accepted");
    HttpResponse<String> form = postForm(service.port(), fields);
    assertThat(form.statusCode()).isEqualTo(409);
    assertThat(form.body()).contains("id=\"username-error\"").contains(RegistrationRules.USERNAME_TAKEN);
    assertThat(db.countNamed(name)).isEqualTo(1);
  }

  @Test
  void ofOneHundredConcurrentAttemptsAtOneUsernameExactlyOneIsCreated() throws Exception {
    String name = uniqueName("race");
    List<CompletableFuture<HttpResponse<String>>> attempts = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String variant = i % 2 == 0 ? name : name.toUpperCase();
      attempts.add(Registrations.postJsonAsync(service.port(),
          valid(variant).put("email", uniqueName("race") + "@example.com")));
    }
    List<Integer> statuses = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> attempt : attempts) {
      statuses.add(attempt.get(60, TimeUnit.SECONDS).statusCode());
    }
    assertThat(statuses).filteredOn(s -> s == 201).hasSize(1);
    assertThat(statuses).filteredOn(s -> s == 409).hasSize(99);
    assertThat(db.countNamed(name)).isEqualTo(1);
  }

  @Test
  void aBodyOverTheLimitIs413WhetherDeclaredOrStreamedAndTheClientReadsIt() throws Exception {
    String big = "username=" + "x".repeat(20_000);
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, "POST /user/register HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM_TYPE
          + "\r\nContent-Length: " + big.length() + "\r\n\r\n" + big);
      InputStream in = socket.getInputStream();
      assertThat(RawHttp.read(in, false).status()).isEqualTo(413);
      assertThat(in.readAllBytes()).as("then a clean close").isEmpty();
    }
    try (Socket socket = RawHttp.connect(service.port())) {
      StringBuilder chunked = new StringBuilder("POST /user/register HTTP/1.1\r\nHost: x\r\nContent-Type: "
          + "application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (int i = 0; i < 20; i++) {
        chunked.append("400\r\n").append(" ".repeat(1024)).append("\r\n");
      }
      RawHttp.send(socket, chunked.toString());
      InputStream in = socket.getInputStream();
      assertThat(RawHttp.read(in, false).status()).isEqualTo(413);
      assertThat(in.readAllBytes()).isEmpty();
    }
  }

  @Test
  void aClientLeavingMidBodyLeavesNoResponseInFlightAndNoConnectionOpen() throws Exception {
    // The shared HTTP client keeps its idle keep-alive connections open: count from here.
    double openBefore = service.scrape().value("http_server_connections_open");
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, "POST /user/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"username\":");
      Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> service.scrape().value("http_server_responses_in_flight") == 1.0);
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Scrape scrape = service.scrape();
      assertThat(scrape.value("http_server_responses_in_flight")).isZero();
      assertThat(scrape.value("http_server_connections_open")).isLessThanOrEqualTo(openBefore);
    });
  }

  @Test
  void otherContentTypesAre415() {
    for (String type : List.of("text/plain", "multipart/form-data; boundary=x", "application/json; charset=latin1")) {
      HttpResponse<String> response = Registrations.send(Registrations.post(service.port(), type, "{}"));
      assertThat(response.statusCode()).as(type).isEqualTo(415);
    }
    HttpResponse<String> utf8 = Registrations.send(Registrations.post(service.port(),
        "Application/JSON; charset=\"UTF-8\"", valid(uniqueName("cs")).encode()));
    assertThat(utf8.statusCode()).isEqualTo(201);
  }

  @Test
  void aBodyArrivingSlowerThanTheHeaderTimeoutIsStillServed() throws Exception {
    byte[] body = valid(uniqueName("slow")).encode().getBytes(StandardCharsets.UTF_8);
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, "POST /user/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length + "\r\n\r\n");
      // Five pieces 375 ms apart: the body takes at least 1.9 s, longer than REGISTER_HEADER_TIMEOUT_SECONDS=1
      // (sleeps only ever last longer): were the header timeout applied to the body, the answer would be 408.
      int piece = (body.length + 4) / 5;
      for (int offset = 0; offset < body.length; offset += piece) {
        Thread.sleep(375);
        socket.getOutputStream().write(body, offset, Math.min(piece, body.length - offset));
        socket.getOutputStream().flush();
      }
      RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);
      assertThat(response.status()).isEqualTo(201);
    }
  }

  @Test
  void expect100ContinueIsAnsweredThenTheRegistrationIsCreated() throws Exception {
    byte[] body = valid(uniqueName("cont")).encode().getBytes(StandardCharsets.UTF_8);
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, "POST /user/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Expect: 100-continue\r\nContent-Length: " + body.length + "\r\n\r\n");
      InputStream in = socket.getInputStream();
      assertThat(RawHttp.read(in, true).status()).isEqualTo(100);
      socket.getOutputStream().write(body);
      assertThat(RawHttp.read(in, false).status()).isEqualTo(201);
      // The connection stays usable.
      RawHttp.send(socket, RawHttp.get("/user/registered"));
      assertThat(RawHttp.read(in, false).status()).isEqualTo(200);
    }
  }

  @Test
  void theScrapeHasEveryRegistrationMeterAndPassesPromtool() throws Exception {
    Scrape scrape = service.scrape();
    for (Outcome outcome : Outcome.values()) {
      assertThat(scrape.series()).containsKey("registrations_total{outcome=\"" + outcome.label() + "\"}");
    }
    assertThat(scrape.series()).containsKeys("registration_password_hash_seconds_count",
        "registration_password_hash_seconds_max", "executor_queued_tasks{name=\"registration.hash\"}",
        "executor_active_threads{name=\"registration.hash\"}", "executor_pool_max_threads{name=\"registration.hash\"}",
        "registration_database_ready",
        "vertx_pool_in_use{pool_name=\"users\",pool_type=\"sql\"}",
        "vertx_pool_queue_pending{pool_name=\"users\",pool_type=\"sql\"}");
    Promtool.Result result = Promtool.checkMetrics(scrape.text());
    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(log.atLeast(Level.ERROR)).isEmpty();
  }
}
