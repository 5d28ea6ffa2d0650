package dev.registerservice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.RunningService;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code REGISTER_METRICS_ENABLED=false}: the page is served and the limits still hold, while {@code /metrics}
 * exports no series at all (not a page of zeros).
 */
class MetricsOffTest {

  @Test
  void metricsOffExportsNothingWhileThePageAndTheLimitsWork() throws Exception {
    try (RunningService service = RunningService.start(Map.of(
        "REGISTER_METRICS_ENABLED", "false",
        "REGISTER_MAX_CONNECTIONS", "2"))) {
      try (Socket socket = RawHttp.connect(service.port())) {
        RawHttp.send(socket, RawHttp.get("/user/register"));
        RawHttp.Response response = RawHttp.read(socket.getInputStream(), false);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).hasSize(16_384);
      }
      // The cap is enforced without meters: a third connection is closed at once.
      List<Socket> held = new ArrayList<>();
      try {
        // Retried: the first request's connection may not be counted closed yet when the next three connect.
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
          held.forEach(RawHttp::closeQuietly);
          held.clear();
          for (int i = 0; i < 3; i++) {
            held.add(RawHttp.connect(service.port()));
          }
          held.get(2).setSoTimeout(2_000);
          assertThat(held.get(2).getInputStream().read()).as("third connection closed by the cap").isEqualTo(-1);
        });
      } finally {
        held.forEach(RawHttp::closeQuietly);
      }
      String scrape = service.scrape().text();
      assertThat(scrape.lines().filter(line -> !line.isBlank())).as("exported lines with metrics off").isEmpty();
    }
  }
}
