package dev.registerservice.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** GETs of the page one after another on one client, the steady traffic that a stall test watches the loops under. */
public final class PageRequests {
  private PageRequests() {
  }

  /**
   * Requests {@code /user/register} until {@code done} is set or {@code count} were sent, counting each answered
   * one in {@code answered}; bounded by the caller's deadline too (each request times out after 20 s). A failed
   * request is not counted and the next one follows.
   */
  public static void untilDone(int port, AtomicBoolean done, AtomicLong answered, int count) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/user/register"))
        .timeout(Duration.ofSeconds(20)).build();
    for (int i = 0; i < count && !done.get(); i++) {
      try {
        client.send(get, HttpResponse.BodyHandlers.discarding());
        answered.incrementAndGet();
      } catch (Exception e) {
        if (done.get()) {
          return;
        }
      }
    }
  }
}
