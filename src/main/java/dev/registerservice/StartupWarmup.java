package dev.registerservice;

import io.vertx.core.Future;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Sends requests to the service's own traffic port before readiness goes up, through the real pipeline
 * (accept, the per-connection handlers, the route table, every route's handler), so that the first user
 * request pays nothing: the classes of every route are loaded, every event loop has allocated its first
 * buffers (Netty's allocator zeroes its first chunk per loop), and the hot path has had its first JIT
 * compilation. Each request is on a new connection ({@code Connection: close}), so the per-connection path
 * warms up too, and Vert.x spreads the connections over the loops; the requests cycle through
 * {@link #REQUESTS}, one of each route and method. Bounded in count and time; a failure ends the warm-up
 * with a warning and never stops the start. The user-facing meters (requests, responses, aborts, connections,
 * registrations) are exported only from ready on, so they leave no trace there; the log line says how many.
 */
public final class StartupWarmup {
  private static final Logger log = LogManager.getLogger(StartupWarmup.class);
  private static final long MAX_MILLIS = TimeUnit.SECONDS.toMillis(15);
  private static final int CLIENTS = 2;
  // The very first request loads classes for a few hundred ms on a quiet machine, seconds on a busy one.
  private static final int SOCKET_TIMEOUT_MILLIS = 10_000;

  /** One request of the warm-up and the status it must get. */
  record WarmupRequest(String method, String target, String contentType, String body, int status) {
    byte[] bytes(String host) {
      StringBuilder request = new StringBuilder()
          .append(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ").append(host)
          .append("\r\nConnection: close\r\nUser-Agent: register-service-warmup\r\n");
      if (body != null) {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        request.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(content.length)
            .append("\r\n");
      }
      return request.append("\r\n").append(body == null ? "" : body).toString().getBytes(StandardCharsets.UTF_8);
    }
  }

  /**
   * Every route and method the traffic port serves. The posts are invalid on purpose (400: validated and
   * answered with the form's error page, no hash and no user), so the warm-up creates nothing.
   */
  static final List<WarmupRequest> REQUESTS = List.of(
      new WarmupRequest("GET", "/user/register", null, null, 200),
      new WarmupRequest("HEAD", "/user/register", null, null, 200),
      new WarmupRequest("POST", "/user/register", "application/json; charset=utf-8", "{\"username\":\"\"}", 400),
      new WarmupRequest("POST", "/user/register", "application/x-www-form-urlencoded; charset=utf-8", "username=",
          400),
      new WarmupRequest("GET", "/user/registered?name=warmup", null, null, 200),
      new WarmupRequest("GET", "/favicon.ico", null, null, 204),
      new WarmupRequest("GET", "/warmup-not-found", null, null, 404));

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
   * Runs the warm-up on a thread of its own; completes with the count of requests answered as expected. First,
   * whatever the count, one {@code GET /health/live} to the management port: its first connection installs the
   * watch on its failed accepts ({@code AcceptGate}) before any probe or scrape arrives, and loads its path.
   */
  public static Future<Integer> start(String bindHost, int port, int requests, String managementHost,
      int managementPort) {
    return Startup.onOwnThread("startup-warmup", () -> {
      probeManagement(managementHost, managementPort);
      return run(bindHost, port, requests);
    });
  }

  private static void probeManagement(String bindHost, int port) {
    String host = target(bindHost);
    String hostHeader = host.contains(":") ? "[" + host + "]" : host;
    byte[] request = ("GET /health/live HTTP/1.1\r\nHost: " + hostHeader + "\r\nConnection: close\r\nUser-Agent:"
        + " register-service-warmup\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    try {
      int status = fetch(host, port, request, new byte[4096]);
      if (status != 200) {
        log.warn("The management port's own check at start answered {} (expected 200)", status);
      }
    } catch (IOException e) {
      log.warn("The management port's own check at start failed: {}", e.toString());
    }
  }

  /**
   * Runs the warm-up and returns how many requests got their expected status. Blocks the calling thread
   * (start-up, never an event loop) for at most about {@value #MAX_MILLIS} ms plus one socket timeout.
   */
  public static int run(String bindHost, int port, int requests) {
    if (requests <= 0) {
      return 0;
    }
    String host = target(bindHost);
    String hostHeader = host.contains(":") ? "[" + host + "]" : host;
    byte[][] wire = REQUESTS.stream().map(request -> request.bytes(hostHeader)).toArray(byte[][]::new);
    long started = System.nanoTime();
    long deadline = started + TimeUnit.MILLISECONDS.toNanos(MAX_MILLIS);
    AtomicInteger next = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    AtomicReference<String> failure = new AtomicReference<>();
    Thread[] clients = new Thread[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
      clients[i] = new Thread(() -> {
        byte[] buffer = new byte[16384];
        for (int n = next.getAndIncrement(); n < requests && failure.get() == null && System.nanoTime() < deadline;
            n = next.getAndIncrement()) {
          WarmupRequest expected = REQUESTS.get(n % REQUESTS.size());
          try {
            int status = fetch(host, port, wire[n % wire.length], buffer);
            if (status == expected.status()) {
              ok.incrementAndGet();
            } else {
              failure.compareAndSet(null, expected.method() + " " + expected.target() + " answered " + status
                  + ", expected " + expected.status());
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
    } else if (ok.get() < requests) {
      log.warn("Warm-up ran out of time after {} of {} requests in {} ms; starting anyway", ok.get(), requests,
          millis);
    } else {
      log.info("Warm-up: {} requests over {} routes to {}:{} in {} ms before ready (not counted in the traffic"
          + " meters, which start at ready)", ok.get(), REQUESTS.size(), host, port, millis);
    }
    return ok.get();
  }

  /** One request on a new connection, read to the server's close; returns the status code. */
  private static int fetch(String host, int port, byte[] request, byte[] buffer) throws IOException {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(host, port), SOCKET_TIMEOUT_MILLIS);
      socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = socket.getInputStream();
      int n = in.readNBytes(buffer, 0, 12);
      String head = new String(buffer, 0, n, StandardCharsets.US_ASCII);
      while (in.read(buffer) >= 0) {
        // the whole response, so the server completes its write path and closes
      }
      return n == 12 && head.startsWith("HTTP/1.1 ") ? Integer.parseInt(head.substring(9, 12)) : -1;
    }
  }
}
