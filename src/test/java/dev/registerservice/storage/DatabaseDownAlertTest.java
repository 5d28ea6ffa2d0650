package dev.registerservice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.testing.Prometheus;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.TcpProxy;
import dev.registerservice.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code RegisterServiceDatabaseDown} fires in a real Prometheus (scraping every second, evaluating the rules
 * of {@code k8s/prometheusrule.yaml}) once the service's database is blackholed for over its minute, and
 * resolves by itself once the route is back.
 */
class DatabaseDownAlertTest {
  private static final String ALERT = "RegisterServiceDatabaseDown";

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aBlackholedDatabaseFiresTheAlertAndItResolvesWhenItIsBack() throws Exception {
    Path dataDir = Files.createTempDirectory("register-alert").resolve("data");
    EmbeddedDatabase db = EmbeddedDatabase.start(dataDir);
    try (TcpProxy proxy = new TcpProxy(db.port());
        RunningService service = RunningService.start(Map.of("REGISTER_DB_URL", TestDatabase.url(proxy.port())));
        Prometheus prometheus = Prometheus.start(List.of(service.managementPort()))) {
      Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> prometheus.single("registration_database_ready") == 1.0);
      proxy.blackhole(true);
      Awaitility.await("the gauge at 0 in Prometheus").atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> prometheus.single("registration_database_ready") == 0.0);
      Awaitility.await(ALERT + " firing").atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(1))
          .until(() -> alert(prometheus).map(a -> a.getString("state")).orElse("").equals("firing"));
      proxy.blackhole(false);
      Awaitility.await(ALERT + " resolved").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
          .until(() -> alert(prometheus).isEmpty());
      assertThat(service.scrape().value("registration_database_ready")).isEqualTo(1.0);
    } finally {
      db.close();
    }
  }

  private static java.util.Optional<JsonObject> alert(Prometheus prometheus) throws Exception {
    return prometheus.alerts().stream()
        .filter(a -> ALERT.equals(a.getJsonObject("labels").getString("alertname"))).findFirst();
  }
}
