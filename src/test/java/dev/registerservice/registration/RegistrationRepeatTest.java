package dev.registerservice.registration;

import static dev.registerservice.testing.Registrations.PASSWORD;
import static dev.registerservice.testing.Registrations.form;
import static dev.registerservice.testing.Registrations.uniqueName;
import static dev.registerservice.testing.Registrations.valid;
import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Repeats and hostile origins against the real service and a real PostgreSQL: the same submission token or
 * Idempotency-Key gets the first answer, concurrently or later, and never makes a second user; cross-site
 * posts are refused and counted; every page carries its security headers.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RegistrationRepeatTest {
  private static final String FORM = "application/x-www-form-urlencoded";
  private static TestDatabase db;
  private static RunningService service;

  @BeforeAll
  static void start() {
    db = TestDatabase.shared();
    service = RunningService.start(Map.of(
        "REGISTER_DB_URL", db.url(),
        "REGISTER_ARGON2_MEMORY_KIB", "64",
        "REGISTER_ARGON2_ITERATIONS", "1",
        "REGISTER_HASH_QUEUE", "64"));
    Awaitility.await().atMost(Duration.ofSeconds(20))
        .until(() -> service.scrape().value("registration_database_ready") == 1.0);
  }

  @AfterAll
  static void stop() throws Exception {
    service.close();
  }

  private static Map<String, String> fields(String name, String token) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("submission", token);
    fields.put("username", name);
    fields.put("email", name.toLowerCase() + "@example.com");
    fields.put("password", PASSWORD);
    fields.put("country", "FR");
    fields.put("terms", "accepted");
    return fields;
  }

  private static HttpRequest.Builder post(String contentType, String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/user/register"))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private static double outcome(String outcome) {
    return service.scrape().value("registrations_total{outcome=\"" + outcome + "\"}");
  }

  @Test
  void tenConcurrentPostsOfOneFormSubmissionMakeOneUserAndAllEndOnItsConfirmation() {
    String name = uniqueName("twice");
    String token = RegistrationPagesAccess.token();
    List<CompletableFuture<HttpResponse<String>>> posts = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      posts.add(Registrations.CLIENT.sendAsync(post(FORM, form(fields(name, token))).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> post : posts) {
      HttpResponse<String> response = post.join();
      assertThat(response.statusCode()).as(response.body()).isEqualTo(303);
      assertThat(response.headers().firstValue("location")).contains("/user/registered?name=" + name);
    }
    assertThat(db.countNamed(name)).isEqualTo(1);

    // Long after, the same submission still gets the same answer, without hashing again.
    double hashes = service.scrape().value("registration_password_hash_seconds_count");
    HttpResponse<String> later = Registrations.send(post(FORM, form(fields(name, token))).build());
    assertThat(later.statusCode()).isEqualTo(303);
    assertThat(service.scrape().value("registration_password_hash_seconds_count")).isEqualTo(hashes);
  }

  @Test
  void withoutATokenTheSameRegistrationAgainIsARepeatAndAnyOtherUseOfTheNameIsTaken() {
    String name = uniqueName("notoken");
    Map<String, String> fields = fields(name, "");
    fields.remove("submission");
    HttpResponse<String> first = Registrations.postForm(service.port(), fields);
    assertThat(first.statusCode()).isEqualTo(303);
    // The same username, email, country and password: the person's own registration, sent twice (a double
    // click with JavaScript off, a retry after a lost answer). Answered as the first, nothing stored again.
    HttpResponse<String> again = Registrations.postForm(service.port(), fields);
    assertThat(again.statusCode()).isEqualTo(303);
    assertThat(again.headers().firstValue("location")).isEqualTo(first.headers().firstValue("location"));
    assertThat(db.countNamed(name)).isEqualTo(1);
    // Anything else with that name is someone else's, or another registration: taken.
    Map<String, String> otherPassword = new LinkedHashMap<>(fields);
    otherPassword.put("password", PASSWORD + "-not-the-same");
    Map<String, String> otherCountry = new LinkedHashMap<>(fields);
    otherCountry.put("country", "DE");
    Map<String, String> otherEmail = new LinkedHashMap<>(fields);
    otherEmail.put("email", "other." + name.toLowerCase() + "@example.com");
    for (Map<String, String> other : List.of(otherPassword, otherCountry, otherEmail)) {
      HttpResponse<String> taken = Registrations.postForm(service.port(), other);
      assertThat(taken.statusCode()).as(other.toString()).isEqualTo(409);
      assertThat(taken.body()).contains(RegistrationRules.USERNAME_TAKEN);
    }
    // JSON alike: 201 with the first one's id.
    String jsonName = uniqueName("notokenjson");
    HttpResponse<String> created = Registrations.postJson(service.port(), Registrations.valid(jsonName));
    HttpResponse<String> repeated = Registrations.postJson(service.port(), Registrations.valid(jsonName));
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(repeated.statusCode()).isEqualTo(201);
    assertThat(repeated.body()).isEqualTo(created.body());
    assertThat(db.countNamed(jsonName)).isEqualTo(1);
  }

  @Test
  void aTokenThatCreatedOneUserCannotCreateAnotherAndTheFormComesBackWithAFreshToken() {
    String token = RegistrationPagesAccess.token();
    String first = uniqueName("first");
    assertThat(Registrations.postForm(service.port(), fields(first, token)).statusCode()).isEqualTo(303);
    String second = uniqueName("second");
    HttpResponse<String> reused = Registrations.postForm(service.port(), fields(second, token));
    assertThat(reused.statusCode()).isEqualTo(409);
    assertThat(reused.body()).contains("already used to create another account")
        .contains("name=\"submission\"").doesNotContain(token);
    assertThat(db.userNamed(second)).isEmpty();
  }

  @Test
  void theSameIdempotencyKeyGetsTheSameAnswerAndAnotherRequestWithItGets422() {
    String name = uniqueName("key");
    String key = "\"" + RegistrationPagesAccess.token() + "\"";
    HttpRequest request = post("application/json", valid(name).encode()).header("Idempotency-Key", key).build();
    HttpResponse<String> first = Registrations.send(request);
    HttpResponse<String> again = Registrations.send(request);
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(db.countNamed(name)).isEqualTo(1);

    double reusedBefore = outcome("key_reused");
    HttpResponse<String> other = Registrations.send(
        post("application/json", valid(uniqueName("key")).encode()).header("Idempotency-Key", key).build());
    assertThat(other.statusCode()).isEqualTo(422);
    assertThat(other.body()).contains("Idempotency-Key");
    assertThat(outcome("key_reused")).isEqualTo(reusedBefore + 1);

    HttpResponse<String> bad = Registrations.send(
        post("application/json", valid(uniqueName("key")).encode()).header("Idempotency-Key", "\"a\\b\"").build());
    assertThat(bad.statusCode()).isEqualTo(400);
  }

  /**
   * The form's token is bounded as the header is (1 to 255 printable ASCII but {@code "} and {@code \}): at the
   * bound it is stored and replays; past it, or with other characters, the form comes back 400 naming it, with
   * the values kept and a fresh token, and nothing is stored. An empty field is no token (the pre-rendered page
   * sends it empty when its script did not run).
   */
  @Test
  void theFormsTokenIsBoundedAsTheHeaderIsAndBeyondItGets400NamingTheField() throws Exception {
    String longest = "t".repeat(255);
    String name = uniqueName("bound");
    assertThat(Registrations.postForm(service.port(), fields(name, longest)).statusCode()).isEqualTo(303);
    assertThat(storedToken(name)).isEqualTo("form:" + longest);
    assertThat(Registrations.postForm(service.port(), fields(name, longest)).statusCode()).as("replayed")
        .isEqualTo(303);
    assertThat(db.countNamed(name)).isEqualTo(1);

    double invalidBefore = outcome("invalid");
    List<String> refused = List.of("t".repeat(256), "x".repeat(300), "caf\u00e9", "a\u007fb", "a\"b", "a\\b",
        "tab\there", "line\nbreak");
    for (String token : refused) {
      String other = uniqueName("refused");
      HttpResponse<String> answer = Registrations.postForm(service.port(), fields(other, token));
      assertThat(answer.statusCode()).as(token).isEqualTo(400);
      assertThat(answer.body()).as(token).contains("submission token must be 1 to 255 printable ASCII characters")
          .contains("value=\"" + other + "\"").contains("name=\"submission\"");
      assertThat(db.userNamed(other)).as(token).isEmpty();
    }
    assertThat(outcome("invalid")).isEqualTo(invalidBefore + refused.size());

    String untokened = uniqueName("empty");
    assertThat(Registrations.postForm(service.port(), fields(untokened, "")).statusCode()).isEqualTo(303);
    assertThat(storedToken(untokened)).isNull();
  }

  @Test
  void theIdempotencyKeyIsBoundedAtOneTo255Characters() {
    assertThat(postWithKey("k".repeat(255)).statusCode()).isEqualTo(201);
    assertThat(postWithKey("\"" + "q".repeat(255) + "\"").statusCode()).as("quoted").isEqualTo(201);
    for (String key : List.of("k".repeat(256), "", "\"\"", "a\"b")) {
      HttpResponse<String> answer = postWithKey(key);
      assertThat(answer.statusCode()).as(key).isEqualTo(400);
      assertThat(new JsonObject(answer.body()).getJsonObject("errors").getString("Idempotency-Key")).as(key)
          .isEqualTo("must be a string of 1 to 255 printable ASCII characters");
    }
  }

  private static HttpResponse<String> postWithKey(String key) {
    return Registrations.send(post("application/json", valid(uniqueName("keybound")).encode())
        .header("Idempotency-Key", key).build());
  }

  /** The token stored with the user named {@code name}, or null when it was stored without one. */
  private static String storedToken(String name) throws Exception {
    try (Connection connection = TestDatabase.connect(db.port());
        PreparedStatement query = connection.prepareStatement("SELECT s.token FROM users u LEFT JOIN submissions s"
            + " ON s.user_id = u.id WHERE lower(u.username) = lower(?)")) {
      query.setString(1, name);
      try (ResultSet rows = query.executeQuery()) {
        assertThat(rows.next()).as("a user named " + name).isTrue();
        return rows.getString(1);
      }
    }
  }

  @Test
  void theSameKeyWithTheSameUsernameButAnotherBodyGets422WithAReadableReason() {
    String name = uniqueName("fp");
    String key = RegistrationPagesAccess.token();
    HttpResponse<String> first = Registrations.send(
        post("application/json", valid(name).encode()).header("Idempotency-Key", key).build());
    assertThat(first.statusCode()).isEqualTo(201);
    for (JsonObject changed : List.of(valid(name).put("email", "other_" + name.toLowerCase() + "@example.com"),
        valid(name).put("country", "DE"))) {
      HttpResponse<String> other = Registrations.send(
          post("application/json", changed.encode()).header("Idempotency-Key", key).build());
      assertThat(other.statusCode()).as(changed.encode()).isEqualTo(422);
      assertThat(new JsonObject(other.body()).getJsonObject("errors").getString("Idempotency-Key"))
          .contains("different username, email or country");
    }
    assertThat(db.countNamed(name)).isEqualTo(1);
  }

  @Test
  void passwordsThatCannotBeDecodedExactlyAre400InBothEncodings() {
    // JSON: a lone surrogate, escaped.
    HttpResponse<String> json = Registrations.send(post("application/json",
        valid(uniqueName("sur")).encode().replace(Registrations.PASSWORD, Registrations.PASSWORD + "\\ud800"))
        .build());
    assertThat(json.statusCode()).as(json.body()).isEqualTo(400);
    assertThat(new JsonObject(json.body()).getJsonObject("errors").getString("password"))
        .isEqualTo(RegistrationRules.PASSWORD_UNDECODABLE);
    // Form: a byte that is not UTF-8 (%FF), where a lossy decoder would put U+FFFD.
    String name = uniqueName("utf");
    HttpResponse<String> form = Registrations.send(post("application/x-www-form-urlencoded",
        Registrations.form(Map.of("username", name, "email", name + "@example.com", "country", "FR",
            "terms", "on")) + "&password=" + "correct%20horse%20battery%FF").build());
    assertThat(form.statusCode()).isEqualTo(400);
    assertThat(form.body()).contains("cannot be read");
    // A real U+FFFD, correctly encoded, is a character like any other.
    String ok = uniqueName("fffd");
    HttpResponse<String> replacement = Registrations.send(post("application/json",
        valid(ok).put("password", Registrations.PASSWORD + "\ufffd").encode()).build());
    assertThat(replacement.statusCode()).isEqualTo(201);
    assertThat(db.userNamed(name)).isEmpty();
  }

  @Test
  void crossSitePostsAreRefusedAndCountedAndSameSiteOnesAndPlainClientsAreNot() {
    String host = "127.0.0.1:" + service.port();
    double before = outcome("cross_site");
    for (String[] header : List.of(new String[] {"Sec-Fetch-Site", "cross-site"},
        new String[] {"Origin", "http://evil.example"}, new String[] {"Origin", "null"})) {
      HttpResponse<String> refused = Registrations.send(post(FORM, form(fields(uniqueName("x"), "")))
          .header(header[0], header[1]).build());
      assertThat(refused.statusCode()).as(header[0] + ": " + header[1]).isEqualTo(403);
    }
    assertThat(outcome("cross_site")).isEqualTo(before + 3);

    String sameOrigin = uniqueName("same");
    assertThat(Registrations.send(post(FORM, form(fields(sameOrigin, RegistrationPagesAccess.token())))
        .header("Origin", "http://" + host).build()).statusCode()).isEqualTo(303);
    String sameSite = uniqueName("site");
    assertThat(Registrations.send(post(FORM, form(fields(sameSite, RegistrationPagesAccess.token())))
        .header("Sec-Fetch-Site", "same-site").header("Origin", "https://www.example.com").build()).statusCode())
        .as("Sec-Fetch-Site decides when present").isEqualTo(303);
    assertThat(Registrations.postJson(service.port(), valid(uniqueName("api"))).statusCode()).isEqualTo(201);
  }

  @Test
  void pagesCarryTheirSecurityHeadersAndPagesThatEchoInputAreNotStored() {
    HttpResponse<String> page = Registrations.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + service.port() + "/user/register")).build());
    Map<String, String> fields = fields(uniqueName("bad"), "");
    fields.put("email", "jane@localhost");
    HttpResponse<String> errors = Registrations.postForm(service.port(), fields);
    assertThat(errors.statusCode()).isEqualTo(400);
    assertThat(errors.body()).contains(RegistrationRules.EMAIL_MESSAGE).contains("checked");
    HttpResponse<String> confirmation = Registrations.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + service.port() + "/user/registered?name=%3Cb%3E")).build());
    assertThat(confirmation.body()).doesNotContain("<b>").contains("Welcome! Your account is ready.");
    for (HttpResponse<String> response : List.of(page, errors, confirmation)) {
      assertThat(response.headers().firstValue("x-content-type-options")).contains("nosniff");
      assertThat(response.headers().firstValue("referrer-policy")).contains("strict-origin-when-cross-origin");
      assertThat(response.headers().firstValue("content-security-policy")).get().asString()
          .contains("frame-ancestors 'none'").contains("default-src 'none'");
    }
    assertThat(page.headers().firstValue("cache-control")).isEmpty();
    assertThat(errors.headers().firstValue("cache-control")).contains("no-store");
    assertThat(confirmation.headers().firstValue("cache-control")).contains("no-store");

    HttpResponse<String> favicon = Registrations.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + service.port() + "/favicon.ico")).build());
    assertThat(favicon.statusCode()).isEqualTo(204);
  }
}
