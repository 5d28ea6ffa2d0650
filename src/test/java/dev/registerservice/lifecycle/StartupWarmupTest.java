package dev.registerservice.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.registerservice.config.ConfigException;
import dev.registerservice.testing.RunningService;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** REGISTER_WARMUP_REQUESTS: requests through the real pipeline before readiness, bounded, never fatal. */
class StartupWarmupTest {

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void warmUpRequestsRunThroughTheRealPipelineBeforeStartReturns() throws Exception {
    try (RunningService svc = RunningService.start(Map.of("REGISTER_WARMUP_REQUESTS", "50"))) {
      // start() returns only after the warm-up, so its connections are already counted: each was a new
      // connection that got a whole 200 response (the count is documented as showing in the meters).
      assertThat(svc.scrape().sum("http_server_connections_accepted_total")).isEqualTo(50.0);
      assertThat(svc.scrape().sum("http_server_requests_seconds_count", "code=\"200\"")).isEqualTo(50.0);
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void noWarmUpByDefault() throws Exception {
    try (RunningService svc = RunningService.start()) {
      assertThat(svc.scrape().sum("http_server_connections_accepted_total")).isZero();
    }
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
    assertThat(StartupWarmup.run("127.0.0.1", closedPort, "/user/register", 10)).isZero();
  }

  @Test
  void aWildcardBindIsReachedOnLoopback() {
    assertThat(StartupWarmup.target("0.0.0.0")).isEqualTo("127.0.0.1");
    assertThat(StartupWarmup.target("::")).isEqualTo("::1");
    assertThat(StartupWarmup.target("127.0.0.1")).isEqualTo("127.0.0.1");
  }
}
