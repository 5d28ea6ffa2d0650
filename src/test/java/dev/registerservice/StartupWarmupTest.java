package dev.registerservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.registerservice.config.ConfigException;
import dev.registerservice.config.Setting;
import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** REGISTER_WARMUP_REQUESTS: requests through the real pipeline before readiness, bounded, never fatal. */
class StartupWarmupTest {

  /** The user-facing series: every one must read 0 right after ready, whatever the warm-up did. */
  private static final List<String> TRAFFIC_SERIES = List.of("http_server_connections_accepted_total",
      "http_server_connections_closed_total", "http_server_requests_seconds_count", "http_server_client_aborts_total",
      "http_server_client_abort_sent_bytes_count", "registrations_total", "http_server_requests_rejected_total");

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void warmUpRequestsRunThroughEveryRouteBeforeStartReturnsAndLeaveNoTraceInTheMeters() throws Exception {
    int rounds = 10;
    int requests = rounds * StartupWarmup.REQUESTS.size();
    try (LogCapture log = LogCapture.attach();
        RunningService svc = RunningService.start(Map.of("REGISTER_WARMUP_REQUESTS", String.valueOf(requests)))) {
      // start() returns only after the warm-up: every request got the status its route must give.
      assertThat(log.events()).anyMatch(e -> e.getLoggerName().equals(StartupWarmup.class.getName())
          && e.getMessage().getFormattedMessage().startsWith("Warm-up: " + requests + " requests over "
          + StartupWarmup.REQUESTS.size() + " routes"));
      Scrape ready = svc.scrape();
      for (String series : TRAFFIC_SERIES) {
        assertThat(ready.text()).as("%s exported", series).contains(series);
        assertThat(ready.sum(series)).as("%s right after ready", series).isZero();
      }
      assertThat(ready.value("http_server_connections_open")).isZero();

      // From ready on, the meters count: one request is one.
      try (Socket socket = RawHttp.connect(svc.port())) {
        RawHttp.send(socket, RawHttp.get("/user/register"));
        assertThat(RawHttp.read(socket.getInputStream(), false).status()).isEqualTo(200);
      }
      Scrape after = svc.scrape();
      assertThat(after.sum("http_server_connections_accepted_total")).isEqualTo(1);
      assertThat(after.sum("http_server_requests_seconds_count")).isEqualTo(1);
      assertThat(after.sum("http_server_requests_seconds_count", "code=\"200\"", "method=\"GET\"")).isEqualTo(1);
    }
  }

  @Test
  void onByDefaultWithEveryRouteSeveralTimes() {
    int byDefault = Integer.parseInt(Setting.WARMUP_REQUESTS.defaultValue());
    assertThat(byDefault).isGreaterThanOrEqualTo(50 * StartupWarmup.REQUESTS.size());
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
