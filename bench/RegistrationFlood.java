import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The registration-flood case of bench/run.sh (not a test). Against a running service:
 * 1. idle: one keep-alive client fetches GET /user/register every PROBE_MS for IDLE_S seconds;
 * 2. flood: the same probe goes on while CLIENTS clients post JSON registrations (unique users) on keep-alive
 *    connections as fast as they are answered, for FLOOD_S seconds.
 * Prints one JSON object: the page's latency (p50, p99, max in ms) in each phase, registrations created
 * (201) per second and refused (503) during the flood, and the posts' own latency (p50, p99, max in ms).
 *
 * java bench/RegistrationFlood.java <port> [clients=32] [idle_s=12] [flood_s=12] [probe_ms=5] [tag]
 */
public class RegistrationFlood {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    int idleS = args.length > 2 ? Integer.parseInt(args[2]) : 12;
    int floodS = args.length > 3 ? Integer.parseInt(args[3]) : 12;
    int probeMs = args.length > 4 ? Integer.parseInt(args[4]) : 5;
    String tag = args.length > 5 ? args[5] : Long.toString(System.currentTimeMillis(), 36);

    Probe probe = new Probe(port, probeMs);
    Thread prober = new Thread(probe, "page-probe");
    prober.start();
    Thread.sleep(TimeUnit.SECONDS.toMillis(idleS));
    double[] idle = probe.cut();

    AtomicBoolean flooding = new AtomicBoolean(true);
    AtomicLong created = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    AtomicLong other = new AtomicLong();
    List<Thread> posters = new ArrayList<>();
    AtomicLong serial = new AtomicLong();
    List<Double> postMillis = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < clients; i++) {
      Thread t = new Thread(() -> post(port, tag, serial, flooding, created, refused, other, postMillis),
          "poster-" + i);
      t.start();
      posters.add(t);
    }
    long floodStart = System.nanoTime();
    Thread.sleep(TimeUnit.SECONDS.toMillis(floodS));
    flooding.set(false);
    double[] flood = probe.cut();
    double seconds = (System.nanoTime() - floodStart) / 1e9;
    long createdInFlood = created.get();
    probe.stop();
    for (Thread t : posters) {
      t.join(30_000);
    }
    prober.join(30_000);
    double[] posts = percentiles(postMillis);
    System.out.printf(Locale.ROOT,
        "{\"idle_p50_ms\": %.2f, \"idle_p99_ms\": %.2f, \"idle_max_ms\": %.2f, \"idle_n\": %d,"
            + " \"flood_p50_ms\": %.2f, \"flood_p99_ms\": %.2f, \"flood_max_ms\": %.2f, \"flood_n\": %d,"
            + " \"created_per_s\": %.1f, \"refused_503\": %d, \"other\": %d, \"clients\": %d, \"flood_s\": %.1f,"
            + " \"post_p50_ms\": %.1f, \"post_p99_ms\": %.1f, \"post_max_ms\": %.1f}%n",
        idle[0], idle[1], idle[2], (long) idle[3], flood[0], flood[1], flood[2], (long) flood[3],
        createdInFlood / seconds, refused.get(), other.get(), clients, seconds, posts[0], posts[1], posts[2]);
  }

  /** One keep-alive client fetching the page every interval; latencies collected until cut. */
  static final class Probe implements Runnable {
    private final int port;
    private final int intervalMs;
    private volatile boolean running = true;
    private final List<Double> samples = new ArrayList<>();

    Probe(int port, int intervalMs) {
      this.port = port;
      this.intervalMs = intervalMs;
    }

    synchronized double[] cut() {
      double[] v = percentiles(samples);
      samples.clear();
      return v;
    }

    void stop() {
      running = false;
    }

    @Override
    public void run() {
      byte[] request = ("GET /user/register HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      Socket socket = null;
      long next = System.nanoTime();
      while (running) {
        try {
          if (socket == null) {
            socket = connect(port);
          }
          long start = System.nanoTime();
          socket.getOutputStream().write(request);
          Response r = Response.read(socket.getInputStream());
          double ms = (System.nanoTime() - start) / 1e6;
          if (r.status == 200) {
            synchronized (this) {
              samples.add(ms);
            }
          }
          if (r.close) {
            socket.close();
            socket = null;
          }
        } catch (IOException e) {
          closeQuietly(socket);
          socket = null;
        }
        next += TimeUnit.MILLISECONDS.toNanos(intervalMs);
        long wait = next - System.nanoTime();
        if (wait > 0) {
          try {
            TimeUnit.NANOSECONDS.sleep(wait);
          } catch (InterruptedException e) {
            return;
          }
        } else {
          next = System.nanoTime();
        }
      }
      closeQuietly(socket);
    }
  }

  static void post(int port, String tag, AtomicLong serial, AtomicBoolean flooding, AtomicLong created,
      AtomicLong refused, AtomicLong other, List<Double> postMillis) {
    Socket socket = null;
    while (flooding.get()) {
      long n = serial.incrementAndGet();
      String user = "f" + tag + "x" + n;
      String body = "{\"username\":\"" + user + "\",\"email\":\"" + user + "@example.com\",\"password\":"
          + "\"correct horse battery " + n + "\",\"country\":\"FR\",\"terms\":true}";
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      byte[] head = ("POST /user/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      try {
        if (socket == null) {
          socket = connect(port);
        }
        OutputStream out = socket.getOutputStream();
        long sent = System.nanoTime();
        out.write(head);
        out.write(bytes);
        Response r = Response.read(socket.getInputStream());
        if (flooding.get()) {
          postMillis.add((System.nanoTime() - sent) / 1e6);
          if (r.status == 201) {
            created.incrementAndGet();
          } else if (r.status == 503) {
            refused.incrementAndGet();
          } else {
            other.incrementAndGet();
          }
        }
        if (r.close) {
          socket.close();
          socket = null;
        }
      } catch (IOException e) {
        other.incrementAndGet();
        closeQuietly(socket);
        socket = null;
      }
    }
    closeQuietly(socket);
  }

  static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    s.setSoTimeout(60_000);
    return s;
  }

  static void closeQuietly(Socket s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // gone already
      }
    }
  }

  /** {p50, p99, max, count} of {@code millis}; -1s when empty. */
  static double[] percentiles(List<Double> millis) {
    double[] v;
    synchronized (millis) {
      v = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }
    if (v.length == 0) {
      return new double[] {-1, -1, -1, 0};
    }
    return new double[] {pct(v, 50), pct(v, 99), v[v.length - 1], v.length};
  }

  static double pct(double[] sorted, double p) {
    int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  /** Just enough HTTP/1.1 to read a response: status, Content-Length or chunked, Connection: close. */
  static final class Response {
    int status;
    boolean close;

    static Response read(InputStream in) throws IOException {
      Response r = new Response();
      String status = line(in);
      r.status = Integer.parseInt(status.substring(9, 12));
      long length = -1;
      boolean chunked = false;
      for (String h = line(in); !h.isEmpty(); h = line(in)) {
        String lower = h.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Long.parseLong(lower.substring(15).trim());
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          chunked = true;
        } else if (lower.startsWith("connection:") && lower.contains("close")) {
          r.close = true;
        }
      }
      if (chunked) {
        for (long size = Long.parseLong(line(in).trim(), 16); size > 0; size = Long.parseLong(line(in).trim(), 16)) {
          skip(in, size);
          line(in);
        }
        line(in);
      } else if (length > 0) {
        skip(in, length);
      }
      return r;
    }

    static void skip(InputStream in, long n) throws IOException {
      byte[] buf = new byte[8192];
      while (n > 0) {
        int k = in.read(buf, 0, (int) Math.min(buf.length, n));
        if (k < 0) {
          throw new IOException("EOF in body");
        }
        n -= k;
      }
    }

    static String line(InputStream in) throws IOException {
      StringBuilder sb = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("EOF");
        }
        if (c != '\r') {
          sb.append((char) c);
        }
      }
      return sb.toString();
    }
  }
}
