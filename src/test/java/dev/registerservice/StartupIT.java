package dev.registerservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.ServiceProcess;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The packaged jar as an operator runs it: bad settings stop it with one line; JSON logs are JSON. */
class StartupIT {

  @ParameterizedTest
  @CsvSource({
      "REGISTER_HTTP_PORT, 70000",
      "REGISTER_CHUNK_SIZE, 0",
      "REGISTER_TRANSPORT, kqueue",
      "REGISTER_ARGON2_ITERATIONS, 0",
      "REGISTER_LOG_FORMAT, yaml",
      "REGISTER_CONFIG_FILE, /nonexistent/register.yaml",
  })
  void aBadSettingExitsNonZeroNamingIt(String variable, String value) throws Exception {
    try (ServiceProcess service = ServiceProcess.launch(Map.of(variable, value))) {
      int exit = service.waitFor(Duration.ofSeconds(20));
      assertThat(exit).isEqualTo(2);
      // REGISTER_LOG_FORMAT is rejected before logging exists, on stderr; the rest are logged on stdout.
      if (!variable.equals("REGISTER_LOG_FORMAT")) {
        List<String> errors = service.output().stream().filter(line -> line.contains("ERROR")).toList();
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0)).contains(variable).contains(value);
      }
    }
  }

  /** A port another process holds fails the deployment: exit 2, one ERROR line naming the port, no hang. */
  @ParameterizedTest
  @CsvSource({"REGISTER_HTTP_PORT, traffic", "REGISTER_MANAGEMENT_PORT, management"})
  @Timeout(60)
  void aPortThatIsTakenExitsNonZeroWithOneLine(String variable, String which) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ServiceProcess service = ServiceProcess.launch(Map.of(variable, String.valueOf(taken.getLocalPort())))) {
      assertThat(service.waitFor(Duration.ofSeconds(30))).isEqualTo(2);
      List<String> errors = service.output().stream().filter(line -> line.contains("ERROR")).toList();
      assertThat(errors).hasSize(1);
      assertThat(errors.get(0)).contains("cannot listen on " + which + " port 127.0.0.1:" + taken.getLocalPort());
    }
  }

  @Test
  void jsonLogsAreOneEcsObjectPerLine() throws Exception {
    try (ServiceProcess service = ServiceProcess.start(Map.of(
        "REGISTER_LOG_FORMAT", "json",
        "REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS", "0",
        "REGISTER_UNKNOWN_SETTING", "makes a WARN line"))) {
      try (Socket socket = RawHttp.connect(service.port())) {
        RawHttp.send(socket, RawHttp.get("/user/register"));
        assertThat(RawHttp.read(socket.getInputStream(), false).status()).isEqualTo(200);
      }
      service.terminate();
      assertThat(service.waitFor(Duration.ofSeconds(20))).isZero();
      List<String> lines = service.output();
      assertThat(lines).hasSizeGreaterThan(4);
      for (String line : lines) {
        JsonObject event;
        try {
          event = new JsonObject(line);
        } catch (DecodeException e) {
          throw new AssertionError("not JSON: " + line, e);
        }
        assertThat(event.getString("@timestamp")).as(line).isNotBlank();
        assertThat(event.getString("log.level")).as(line).isIn("INFO", "WARN", "ERROR", "DEBUG");
        assertThat(event.getString("log.logger")).as(line).isNotBlank();
        assertThat(event.getString("message")).as(line).isNotBlank();
      }
      assertThat(lines).anyMatch(line -> line.contains("Ready in"));
      assertThat(lines).anyMatch(line -> line.contains("REGISTER_UNKNOWN_SETTING"));
    }
  }
}
