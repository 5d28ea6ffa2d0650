package dev.registerservice.lifecycle;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Sends GET requests to the service's own traffic port before readiness goes up, through the real
 * pipeline (accept, decoder, connection watch, route table, page streamer), so that the JIT has compiled
 * the hot path when the first user request arrives. Every request is on a new connection
 * ({@code Connection: close}) so the per-connection path warms up too. Bounded in count and time; a failure
 * ends the warm-up with a warning and never stops the start. The requests are real traffic to the
 * service's meters (request, response and connection counters rise by the count at start); the log line
 * says how many.
 */
public final class StartupWarmup {
  private static final Logger log = LogManager.getLogger(StartupWarmup.class);
  private static final long MAX_MILLIS = TimeUnit.SECONDS.toMillis(10);
  private static final int CLIENTS = 2;
  private static final int SOCKET_TIMEOUT_MILLIS = 2_000;

  private StartupWarmup() {
  }

  /** The address to reach a server bound to {@code host}: loopback for a wildcard bind. */
  static String target(String host) {
    if (host.equals("0.0.0.0") || host.isEmpty()) {
      return "127.0.0.1";
    }
    if (host.equals("::") || host.equals("[::]")) {
      return "::1";
    }
    return host;
  }

  /**
   * Runs the warm-up and returns how many requests got a complete 200 response. Blocks the calling thread
   * (start-up, never an event loop) for at most about ten seconds.
   */
  public static int run(String bindHost, int port, String path, int requests) {
    if (requests <= 0) {
      return 0;
    }
    String host = target(bindHost);
    byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + (host.contains(":") ? "[" + host + "]" : host)
        + "\r\nConnection: close\r\nUser-Agent: register-service-warmup\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    long started = System.nanoTime();
    long deadline = started + TimeUnit.MILLISECONDS.toNanos(MAX_MILLIS);
    AtomicInteger remaining = new AtomicInteger(requests);
    AtomicInteger ok = new AtomicInteger();
    AtomicReference<String> failure = new AtomicReference<>();
    Thread[] clients = new Thread[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
      clients[i] = new Thread(() -> {
        byte[] buffer = new byte[16384];
        while (failure.get() == null && System.nanoTime() < deadline && remaining.getAndDecrement() > 0) {
          try {
            if (fetch(host, port, request, buffer)) {
              ok.incrementAndGet();
            } else {
              failure.compareAndSet(null, "a response other than 200");
            }
          } catch (IOException e) {
            failure.compareAndSet(null, e.toString());
          }
        }
      }, "startup-warmup-" + i);
      clients[i].setDaemon(true);
      clients[i].start();
    }
    for (Thread t : clients) {
      try {
        t.join(MAX_MILLIS + SOCKET_TIMEOUT_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    if (failure.get() != null) {
      log.warn("Warm-up stopped after {} of {} requests in {} ms: {}; starting anyway", ok.get(), requests, millis,
          failure.get());
    } else {
      log.info("Warm-up: {} of {} requests to {}:{}{} in {} ms before ready (they count in the request and"
          + " connection meters)", ok.get(), requests, host, port, path, millis);
    }
    return ok.get();
  }

  /** One request on a new connection, read to the server's close; true for a 200. */
  private static boolean fetch(String host, int port, byte[] request, byte[] buffer) throws IOException {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(host, port), SOCKET_TIMEOUT_MILLIS);
      socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = socket.getInputStream();
      int n = in.readNBytes(buffer, 0, 12);
      boolean ok = n == 12 && new String(buffer, 0, 12, StandardCharsets.US_ASCII).equals("HTTP/1.1 200");
      while (in.read(buffer) >= 0) {
        // the whole response, so the server completes its write path and closes
      }
      return ok;
    }
  }
}
