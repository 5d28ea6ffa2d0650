package dev.registerservice.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.RunningService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 10,000 concurrent keep-alive connections, below the cap, all served. The clients live in a separate process
 * (this JVM, the server, may open only 20,000 files). Reports what each connection costs the server.
 */
class ManyConnectionsTest {
  private static final int CONNECTIONS = 10_000;

  @Test
  void tenThousandKeepAliveConnectionsAreAllServed() throws Exception {
    try (RunningService service = RunningService.start()) {
      long heapBefore = heapAfterGc();
      long rssBefore = residentBytes();
      Process clients = new ProcessBuilder("java", "-Xmx256m", "src/test/resources/clients/KeepAliveClients.java",
          String.valueOf(service.port()), String.valueOf(CONNECTIONS))
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
      try {
        BufferedReader out = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8));
        String ready = out.readLine();
        assertThat(ready).isEqualTo("READY " + CONNECTIONS + " failed 0");
        assertThat(service.scrape().value("http_server_connections_open")).isEqualTo(CONNECTIONS);
        long heapPerConnection = (heapAfterGc() - heapBefore) / CONNECTIONS;
        long rssPerConnection = (residentBytes() - rssBefore) / CONNECTIONS;
        String report = String.format("%,d open keep-alive connections: server heap after GC %+,d bytes per"
            + " connection, resident memory %+,d bytes per connection%n", CONNECTIONS, heapPerConnection,
            rssPerConnection);
        System.out.print(report);
        Files.writeString(Path.of("target/connection-memory.txt"), report);
        assertThat(heapPerConnection).as("heap per idle keep-alive connection").isLessThan(16 * 1024);
      } finally {
        clients.getOutputStream().close();
        if (!clients.waitFor(30, TimeUnit.SECONDS)) {
          clients.destroyForcibly();
        }
      }
      await().atMost(Duration.ofSeconds(30))
          .until(() -> service.scrape().value("http_server_connections_open") == 0);
    }
  }

  private static long heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long residentBytes() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new AssertionError("no VmRSS");
  }
}
