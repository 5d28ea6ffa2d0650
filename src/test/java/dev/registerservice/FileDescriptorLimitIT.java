package dev.registerservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.ServiceProcess;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged jar under {@code prlimit --nofile=1024:1024}, with 1,200 idle connections opened at it, more than
 * its descriptors allow, and one keep-alive client beside them.
 *
 * <p>With the default reserve the cap is lowered to 1024 - 256 = 768 at start (and said so): every connection
 * past it is closed at accept as {@code overload}, exactly 1,201 - 768 of them, the kernel refuses no accept,
 * the keep-alive client keeps being served, {@code /metrics} and {@code /health/ready} answer every probe
 * (every 200 ms, each within 2 s) throughout, a new connection is served within 1 s once 500 idle ones close,
 * no ERROR and no WARN. With the reserve at 16 the cap (1008) is above what the descriptors allow: accepts
 * fail with EMFILE, counted as such, logged at most once per 10 s without a stack (never Netty's "reached at
 * the tail of the pipeline"), and a new connection is served within 1.5 s once the idle ones close (Netty
 * pauses a failing listening socket for 1 s).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class FileDescriptorLimitIT {
  private static final List<String> LIMITED = List.of("prlimit", "--nofile=1024:1024");
  private static final int IDLE = 1_200;
  private static final Map<String, String> ENV = Map.of(
      "REGISTER_IDLE_TIMEOUT_SECONDS", "600", "REGISTER_HEADER_TIMEOUT_SECONDS", "600",
      "REGISTER_WARMUP_REQUESTS", "50");

  @Test
  void theCapKeepsDescriptorsForTheManagementPortAndNoAcceptFails() throws Exception {
    try (ServiceProcess service = ServiceProcess.start(ENV, LIMITED)) {
      assertThat(service.output()).anySatisfy(line -> assertThat(line).endsWith("Connections: file descriptors:"
          + " limit 1024 (RLIMIT_NOFILE), 256 kept for all but traffic connections (REGISTER_FD_RESERVE); traffic"
          + " connections capped at 768, lowered from REGISTER_MAX_CONNECTIONS 16384 so that the limit is never"
          + " reached"));
      assertThat(Scrape.of(service.managementPort()).value("http_server_connections_max")).isEqualTo(768);
      List<Socket> idle = new ArrayList<>();
      try (Socket keepAlive = RawHttp.connect(service.port()); Probes probes = new Probes(service.managementPort())) {
        assertThat(get(keepAlive)).isEqualTo(200);
        openIdle(service.port(), idle);
        await().atMost(Duration.ofSeconds(30)).until(() -> Scrape.of(service.managementPort())
            .value("http_server_connections_closed_total{reason=\"overload\"}") == IDLE + 1 - 768);
        Scrape during = Scrape.of(service.managementPort());
        assertThat(during.value("http_server_connections_open")).isEqualTo(768);
        assertThat(during.sum("http_server_accept_failures_total")).isZero();
        assertThat(get(keepAlive)).as("the keep-alive client, at the cap").isEqualTo(200);

        closeSome(idle, 500);
        long closed = System.nanoTime();
        assertThat(getOnNewConnection(service.port())).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - closed)).as("a new connection served once 500 closed")
            .isLessThan(Duration.ofSeconds(1));
        probes.stop();
        assertThat(probes.failures).as("management probes that failed or took over 2 s").isEmpty();
        assertThat(probes.answered.get()).as("management probes answered").isPositive();
      } finally {
        idle.forEach(RawHttp::closeQuietly);
      }
      assertThat(warningsAndErrors(service.output())).isEmpty();
    }
  }

  @Test
  void acceptsTheKernelRefusesAreCountedAndLoggedOncePerIntervalWithoutAStack() throws Exception {
    Map<String, String> env = new HashMap<>(ENV);
    env.put("REGISTER_FD_RESERVE", "16");
    try (ServiceProcess service = ServiceProcess.start(env, LIMITED)) {
      List<Socket> idle = new ArrayList<>();
      long started = System.nanoTime();
      try {
        openIdle(service.port(), idle);
        // Connections the kernel queued but the service could not accept wait in its backlog: give it time.
        Thread.sleep(3_000);
      } finally {
        idle.forEach(RawHttp::closeQuietly);
      }
      long closed = System.nanoTime();
      assertThat(getOnNewConnection(service.port())).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - closed)).as("a new connection served once the idle closed")
          .isLessThan(Duration.ofMillis(1_500));
      double emfile = await().atMost(Duration.ofSeconds(10)).until(() -> Scrape.of(service.managementPort())
          .value("http_server_accept_failures_total{errno=\"emfile\",server=\"traffic\"}"), n -> n > 0);
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started) + 1;
      List<String> warnings = warningsAndErrors(service.output());
      System.out.printf("%s EMFILE accept failures in %d s; the log: %s%n", emfile, seconds, warnings);
      assertThat(warnings).allSatisfy(line -> assertThat(line).startsWith("WARN ")
          .contains("AcceptGate - Accepting a connection on the traffic port failed: EMFILE"));
      assertThat(warnings).hasSizeBetween(1, (int) (seconds / 10) + 1);
      assertThat(service.output()).noneMatch(line -> line.contains("reached at the tail of the pipeline")
          || line.startsWith("\tat "));
    }
  }

  /** Opens {@link #IDLE} connections that send nothing; the ones the service closes at once stay in the list. */
  private static void openIdle(int port, List<Socket> idle) throws IOException {
    for (int i = 0; i < IDLE; i++) {
      idle.add(RawHttp.connect(port));
    }
  }

  private static void closeSome(List<Socket> idle, int count) {
    for (int i = 0; i < count; i++) {
      RawHttp.closeQuietly(idle.remove(idle.size() - 1));
    }
  }

  private static int get(Socket socket) throws IOException {
    RawHttp.send(socket, RawHttp.get("/user/register"));
    return RawHttp.read(socket.getInputStream(), false).status();
  }

  /** A GET on a new connection, tried again until one is accepted and answered (at most 10 s). */
  private static int getOnNewConnection(int port) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket socket = RawHttp.connect(port)) {
        socket.setSoTimeout(500);
        return get(socket);
      } catch (IOException notYet) {
        if (System.nanoTime() > until) {
          throw notYet;
        }
      }
    }
  }

  /**
   * WARN and ERROR lines, from the level on. Left out: stall warnings (a busy machine can starve a loop) and
   * the one line that says these runs have no database.
   */
  private static List<String> warningsAndErrors(List<String> lines) {
    return lines.stream().map(line -> line.split(" ", 2)).filter(parts -> parts.length == 2)
        .map(parts -> parts[1]).filter(line -> line.startsWith("WARN") || line.startsWith("ERROR"))
        .filter(line -> !line.contains(" StallLog - ") && !line.contains("Database - No database"))
        .map(line -> line.replaceFirst("^(WARN|ERROR) +", "$1 "))
        .toList();
  }

  /** {@code /health/ready} and {@code /metrics} every 200 ms, each on a new connection, answered 200 within 2 s. */
  private static final class Probes implements AutoCloseable {
    final List<String> failures = new CopyOnWriteArrayList<>();
    final AtomicInteger answered = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    Probes(int managementPort) {
      thread = new Thread(() -> {
        while (running.get()) {
          for (String path : List.of("/health/ready", "/metrics")) {
            try (Socket socket = RawHttp.connect(managementPort)) {
              socket.setSoTimeout(2_000);
              RawHttp.send(socket, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
              int status = RawHttp.read(socket.getInputStream(), false).status();
              if (status == 200) {
                answered.incrementAndGet();
              } else {
                failures.add(path + " " + status);
              }
            } catch (IOException e) {
              failures.add(path + " " + e);
            }
          }
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "management-probes");
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(5_000);
    }

    @Override
    public void close() throws InterruptedException {
      stop();
    }
  }
}
