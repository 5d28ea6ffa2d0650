package dev.registerservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.ServiceProcess;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** SIGTERM to the packaged service, as Kubernetes sends it. */
class GracefulShutdownIT {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static int readyStatus(int managementPort) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/health/ready")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  /** Reads a whole response slowly (64 KiB every 20 ms), so that it is still in flight when the drain starts. */
  private static byte[] slowGet(int port) throws Exception {
    try (Socket socket = RawHttp.connect(port)) {
      socket.setReceiveBufferSize(64 * 1024);
      RawHttp.send(socket, RawHttp.get("/user/register"));
      InputStream throttled = new java.io.FilterInputStream(socket.getInputStream()) {
        private long budget;

        @Override
        public int read(byte[] b, int off, int len) throws java.io.IOException {
          if (budget <= 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            budget = 64 * 1024;
          }
          int n = super.read(b, off, (int) Math.min(len, budget));
          budget -= Math.max(n, 0);
          return n;
        }
      };
      return RawHttp.read(new java.io.BufferedInputStream(throttled, 8192), false).body();
    }
  }

  @Test
  void inFlightResponsesFinishReadinessDropsNewConnectionsAreRefusedAndExitIsZero() throws Exception {
    int bodyBytes = 16 << 20;
    int drainDelay = 2;
    int timeout = 20;
    try (ServiceProcess service = ServiceProcess.start(Map.of(
        "REGISTER_BODY_BYTES", String.valueOf(bodyBytes),
        "REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS", String.valueOf(drainDelay),
        "REGISTER_SHUTDOWN_TIMEOUT_SECONDS", String.valueOf(timeout)))) {
      assertThat(readyStatus(service.managementPort())).isEqualTo(200);
      List<CompletableFuture<byte[]>> clients = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        clients.add(CompletableFuture.supplyAsync(() -> {
          try {
            return slowGet(service.port());
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }));
      }
      await().atMost(Duration.ofSeconds(30))
          .until(() -> Scrape.of(service.managementPort()).value("http_server_responses_in_flight") == 4.0);

      long signalledAt = System.nanoTime();
      service.terminate();
      await().atMost(Duration.ofSeconds(30)).until(() -> readyStatus(service.managementPort()) == 503);
      await().atMost(Duration.ofSeconds(drainDelay + 10)).pollInterval(Duration.ofMillis(100))
          .until(() -> refused(service.port()));
      assertThat(System.nanoTime() - signalledAt).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(drainDelay));

      for (CompletableFuture<byte[]> client : clients) {
        assertThat(client.get(30, TimeUnit.SECONDS)).hasSize(bodyBytes);
      }
      assertThat(service.waitFor(Duration.ofSeconds(drainDelay + timeout + 5))).isZero();
      assertThat(service.output()).anyMatch(line -> line.contains("Every response finished"));
    }
  }

  @Test
  void aResponseCutOffByTheTimeoutMakesTheExitCodeNonZeroAndCountsAShutdownClose() throws Exception {
    try (ServiceProcess service = ServiceProcess.start(Map.of(
        "REGISTER_BODY_BYTES", String.valueOf(64 << 20),
        "REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS", "0",
        "REGISTER_SHUTDOWN_TIMEOUT_SECONDS", "1"));
        Socket neverReads = RawHttp.connect(service.port())) {
      RawHttp.send(neverReads, RawHttp.get("/user/register"));
      await().atMost(Duration.ofSeconds(30))
          .until(() -> Scrape.of(service.managementPort()).value("http_server_responses_in_flight") == 1.0);
      service.terminate();
      assertThat(service.waitFor(Duration.ofSeconds(10))).as(String.join("\n", service.output())).isEqualTo(1);
      assertThat(service.output())
          .anyMatch(line -> line.contains("cut off 1 responses; 1 connections closed by shutdown"));
    }
  }

  private static boolean refused(int port) throws java.io.IOException {
    try (Socket ignored = RawHttp.connect(port)) {
      return false;
    } catch (ConnectException e) {
      return true;
    }
  }
}
