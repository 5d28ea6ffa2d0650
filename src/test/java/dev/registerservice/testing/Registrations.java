package dev.registerservice.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/** Builds registration bodies and posts them with a real HTTP/1.1 client. */
public final class Registrations {
  public static final String PASSWORD = "correct horse battery staple";
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final String RUN = Long.toString(System.nanoTime() % 1_000_000, 36);
  public static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(20))
      .followRedirects(HttpClient.Redirect.NEVER)
      .build();

  private Registrations() {
  }

  /** A username no other test of this run uses: 3 to 32 characters. */
  public static String uniqueName(String prefix) {
    return prefix + "_" + RUN + "_" + SEQUENCE.incrementAndGet();
  }

  /** A complete, valid JSON registration for {@code username}. */
  public static JsonObject valid(String username) {
    return new JsonObject()
        .put("username", username)
        .put("email", username.toLowerCase() + "@example.com")
        .put("password", PASSWORD)
        .put("country", "FR")
        .put("terms", true);
  }

  /** A form body (application/x-www-form-urlencoded) of these fields. */
  public static String form(Map<String, String> fields) {
    return fields.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
            + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }

  public static HttpRequest post(int port, String contentType, String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/user/register"))
        // Slow is not stalled: 200 concurrent hashes take tens of seconds on a busy two-core machine.
        .timeout(Duration.ofSeconds(120))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  public static HttpResponse<String> postJson(int port, JsonObject body) {
    return send(post(port, "application/json", body.encode()));
  }

  public static HttpResponse<String> postForm(int port, Map<String, String> fields) {
    return send(post(port, "application/x-www-form-urlencoded", form(fields)));
  }

  public static CompletableFuture<HttpResponse<String>> postJsonAsync(int port, JsonObject body) {
    return CLIENT.sendAsync(post(port, "application/json", body.encode()), HttpResponse.BodyHandlers.ofString());
  }

  public static HttpResponse<String> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
