package dev.registerservice.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.HealthyClients;
import dev.registerservice.testing.LogCapture;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

/** Slowloris, slow readers and connection floods, all on loopback, bounded in count and time. */
class HostileClientTest {
  private static final String CLOSED = "http_server_connections_closed_total";

  @Test
  void slowlorisConnectionsAreClosedByTheHeaderTimeoutWhileOthersAreServed() throws Exception {
    int attackers = 1_000;
    try (LogCapture log = LogCapture.attach();
        RunningService service = RunningService.start(Map.of("REGISTER_HEADER_TIMEOUT_SECONDS", "2"))) {
      Scrape before = service.scrape();
      byte[] trickle = ("GET /user/register HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "X-Slow: " + "z".repeat(4_000))
          .getBytes(StandardCharsets.US_ASCII);
      List<SocketChannel> sockets = new ArrayList<>();
      try (HealthyClients healthy = new HealthyClients(service.port(), 2, 16_384, 10_000)) {
        for (int i = 0; i < attackers; i++) {
          SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", service.port()));
          channel.configureBlocking(false);
          sockets.add(channel);
        }
        // Three bytes per connection every 100 ms: never idle, never done. Bounded by the deadline.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int offset = 0;
        int open = attackers;
        ByteBuffer sink = ByteBuffer.allocate(1024);
        while (open > 0 && System.nanoTime() < deadline) {
          open = 0;
          for (SocketChannel channel : sockets) {
            if (!channel.isOpen()) {
              continue;
            }
            try {
              sink.clear();
              if (channel.read(sink) < 0) {
                channel.close();
                continue;
              }
              channel.write(ByteBuffer.wrap(trickle, offset % (trickle.length - 3), 3));
              open++;
            } catch (IOException e) {
              channel.close();
            }
          }
          offset += 3;
          TimeUnit.MILLISECONDS.sleep(100);
        }
        assertThat(open).as("slowloris connections still open at the deadline").isZero();
      }
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        Scrape after = service.scrape();
        assertThat(after.value(CLOSED + "{reason=\"header_timeout\"}")
            - before.value(CLOSED + "{reason=\"header_timeout\"}")).isEqualTo(attackers);
        assertThat(after.value("http_server_connections_open")).isZero();
      });
      assertThat(log.atLeast(Level.ERROR)).isEmpty();
    }
  }

  @Test
  void slowReadersHoldOnlyTheWriteQueueEachAndAreClosedByTheWriteTimeout() throws Exception {
    int readers = 500;
    int writeQueue = 65_536;
    try (RunningService service = RunningService.start(Map.of(
        "REGISTER_BODY_BYTES", String.valueOf(64 << 20),
        "REGISTER_WRITE_QUEUE_BYTES", String.valueOf(writeQueue),
        "REGISTER_WRITE_TIMEOUT_SECONDS", "3"))) {
      Scrape before = service.scrape();
      List<Socket> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < readers; i++) {
          Socket socket = RawHttp.connect(service.port());
          socket.setReceiveBufferSize(16 * 1024);
          RawHttp.send(socket, RawHttp.get("/user/register"));
          sockets.add(socket);
        }
        await().atMost(Duration.ofSeconds(30))
            .until(() -> service.scrape().value("http_server_responses_in_flight") == readers);
        try (HealthyClients healthy = new HealthyClients(service.port(), 2, 64 << 20, 30_000)) {
          long bound = (long) readers * (writeQueue + 4096) + 64 * 1024;
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
          while (System.nanoTime() < deadline) {
            assertThat(service.scrape().value("http_server_response_queued_bytes")).isLessThanOrEqualTo(bound);
          }
          // A deadline, not a speed bound: on a saturated two-core machine 500 closes can take tens of seconds.
          await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Scrape after = service.scrape();
            assertThat(after.value(CLOSED + "{reason=\"write_timeout\"}")
                - before.value(CLOSED + "{reason=\"write_timeout\"}")).isEqualTo(readers);
            assertThat(after.sum("http_server_client_aborts_total", "cause=\"timeout\"")
                - before.sum("http_server_client_aborts_total", "cause=\"timeout\"")).isEqualTo(readers);
          });
        }
      } finally {
        for (Socket socket : sockets) {
          socket.close();
        }
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> service.scrape().value("http_server_connections_open") == 0);
      assertThat(service.scrape().value("http_server_response_queued_bytes")).isZero();
    }
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedByTheIdleTimeoutAndABusyOneIsNot() throws Exception {
    try (RunningService service = RunningService.start(Map.of("REGISTER_IDLE_TIMEOUT_SECONDS", "1"));
        Socket idle = RawHttp.connect(service.port());
        Socket busy = RawHttp.connect(service.port())) {
      Scrape before = service.scrape();
      RawHttp.send(idle, RawHttp.get("/user/register"));
      assertThat(RawHttp.read(idle.getInputStream(), false).status()).isEqualTo(200);
      // The busy connection keeps making requests for longer than the idle timeout.
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_500);
      while (System.nanoTime() < until) {
        RawHttp.send(busy, RawHttp.get("/user/register"));
        assertThat(RawHttp.read(busy.getInputStream(), false).status()).isEqualTo(200);
      }
      assertThat(idle.getInputStream().read()).as("the idle connection was closed").isEqualTo(-1);
      Scrape after = service.scrape();
      assertThat(after.value(CLOSED + "{reason=\"idle_timeout\"}") - before.value(CLOSED + "{reason=\"idle_timeout\"}"))
          .isEqualTo(1.0);
      assertThat(after.value("http_server_connections_open")).isEqualTo(1.0);
    }
  }

  @Test
  void pastTheConnectionCapNewConnectionsAreClosedAndCountedAsOverload() throws Exception {
    int cap = 200;
    int clients = 250;
    try (RunningService service = RunningService.start(Map.of("REGISTER_MAX_CONNECTIONS", String.valueOf(cap)))) {
      Scrape before = service.scrape();
      List<Socket> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < clients; i++) {
          sockets.add(RawHttp.connect(service.port()));
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          Scrape now = service.scrape();
          assertThat(now.value(CLOSED + "{reason=\"overload\"}") - before.value(CLOSED + "{reason=\"overload\"}"))
              .isEqualTo(clients - cap);
          assertThat(now.value("http_server_connections_open")).isEqualTo(cap);
        });
        // The ones inside the cap are served.
        int served = 0;
        for (Socket socket : sockets) {
          try {
            RawHttp.send(socket, RawHttp.get("/user/register"));
            if (RawHttp.read(socket.getInputStream(), false).status() == 200) {
              served++;
            }
          } catch (IOException closedAsOverload) {
            // one of the fifty over the cap
          }
        }
        assertThat(served).isEqualTo(cap);
      } finally {
        for (Socket socket : sockets) {
          socket.close();
        }
      }
      // Once they are gone, a new client is served again.
      await().atMost(Duration.ofSeconds(30)).until(() -> service.scrape().value("http_server_connections_open") == 0);
      try (Socket socket = RawHttp.connect(service.port())) {
        RawHttp.send(socket, RawHttp.get("/user/register"));
        assertThat(RawHttp.read(socket.getInputStream(), false).status()).isEqualTo(200);
      }
    }
  }
}
