package dev.registerservice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.http.RegisterPage;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Healthy keep-alive clients running beside an attack or an abort storm, each requesting the page over and over
 * on its own connection. Closing stops them and checks that every one was served, every body intact, and every
 * request within a bound that separates "stalled" from "slow" on a busy two-core machine: a client starved by
 * the attack never finishes, while a slow one finishes within seconds (10 s for the 16 KiB page; 30 s for
 * bodies of tens of MiB, whose transfer alone takes a good part of a second when the machine is quiet).
 */
public final class HealthyClients implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong slowestMillis = new AtomicLong();
  private final List<CompletableFuture<Void>> clients = new ArrayList<>();
  /** A thread per client: the common pool has one thread on two cores and would run them one after another. */
  private final ExecutorService threads;

  private final long maxMillis;

  public HealthyClients(int port, int count, int bodyBytes, long maxMillis) {
    this.maxMillis = maxMillis;
    this.threads = Executors.newFixedThreadPool(count);
    byte[] page = RegisterPage.render(bodyBytes, 4_096).bytes();
    for (int i = 0; i < count; i++) {
      clients.add(CompletableFuture.runAsync(() -> {
        try (Socket socket = RawHttp.connect(port)) {
          InputStream in = socket.getInputStream();
          while (running.get()) {
            long start = System.nanoTime();
            RawHttp.send(socket, RawHttp.get("/user/register"));
            RawHttp.Response response = RawHttp.read(in, false);
            slowestMillis.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), Math::max);
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body().length).isEqualTo(page.length);
            assertThat(Arrays.equals(response.body(), page)).as("body intact").isTrue();
            requests.incrementAndGet();
          }
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }, threads));
    }
  }

  @Override
  public void close() throws Exception {
    running.set(false);
    try {
      for (CompletableFuture<Void> client : clients) {
        client.get(30, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    // How many fit in the attack depends on the machine; that every client was served, never slowly, does not.
    assertThat(requests.get()).as("healthy requests answered during the attack")
        .isGreaterThanOrEqualTo(clients.size());
    assertThat(slowestMillis.get()).as("slowest healthy request, ms").isLessThan(maxMillis);
  }
}
