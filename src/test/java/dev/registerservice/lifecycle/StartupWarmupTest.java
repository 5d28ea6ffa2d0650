package dev.registerservice.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.registerservice.config.ConfigException;
import dev.registerservice.config.Setting;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** REGISTER_WARMUP_REQUESTS: requests through the real pipeline before readiness, bounded, never fatal. */
class StartupWarmupTest {

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void warmUpRequestsRunThroughEveryRouteBeforeStartReturns() throws Exception {
    int rounds = 10;
    int requests = rounds * StartupWarmup.EXCHANGES.size();
    try (RunningService svc = RunningService.start(Map.of("REGISTER_WARMUP_REQUESTS", String.valueOf(requests)))) {
      // start() returns only after the warm-up, so its connections are already counted: each was a new
      // connection that got a whole response (the count is documented as showing in the meters).
      Scrape scrape = svc.scrape();
      assertThat(scrape.sum("http_server_connections_accepted_total")).isEqualTo(requests);
      assertThat(scrape.sum("http_server_requests_seconds_count", "code=\"200\"")).isEqualTo(3.0 * rounds);
      assertThat(scrape.sum("http_server_requests_seconds_count", "method=\"POST\"")).isEqualTo(2.0 * rounds);
      assertThat(scrape.sum("http_server_requests_seconds_count", "code=\"204\"")).isEqualTo(rounds);
      assertThat(scrape.sum("http_server_requests_seconds_count", "code=\"404\"")).isEqualTo(rounds);
      // Invalid posts: validated and answered, nobody hashed and nobody created.
      assertThat(scrape.sum("registrations_total", "outcome=\"created\"")).isZero();
    }
  }

  @Test
  void onByDefaultWithEveryRouteSeveralTimes() {
    int byDefault = Integer.parseInt(Setting.WARMUP_REQUESTS.defaultValue());
    assertThat(byDefault).isGreaterThanOrEqualTo(50 * StartupWarmup.EXCHANGES.size());
  }

  @Test
  void badValuesAreConfigErrorsNamingTheVariable() {
    for (String bad : new String[] {"-1", "abc", "1000001", "1.5"}) {
      assertThatThrownBy(() -> RunningService.start(Map.of("REGISTER_WARMUP_REQUESTS", bad)))
          .isInstanceOf(ConfigException.class).hasMessageContaining("REGISTER_WARMUP_REQUESTS = '" + bad + "'");
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aPortThatRefusesEndsTheWarmUpWithoutFailing() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    assertThat(StartupWarmup.run("127.0.0.1", closedPort, 10)).isZero();
  }

  @Test
  void aWildcardBindIsReachedOnLoopback() {
    assertThat(StartupWarmup.target("0.0.0.0")).isEqualTo("127.0.0.1");
    assertThat(StartupWarmup.target("::")).isEqualTo("::1");
    assertThat(StartupWarmup.target("127.0.0.1")).isEqualTo("127.0.0.1");
  }
}
