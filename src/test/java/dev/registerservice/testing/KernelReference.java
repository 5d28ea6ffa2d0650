package dev.registerservice.testing;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The abort tests' oracle: an HTTP/1.1 server that asks the kernel itself how each client went away. It is
 * plain libc through JNA ({@code socket}, {@code accept}, {@code recv}, {@code send} with {@code MSG_NOSIGNAL},
 * {@code poll}), one blocking thread per connection, with no JVM socket class, Netty or Vert.x in between, so
 * what it records is exactly the errno the kernel returned to the first call that failed.
 *
 * <p>It serves the bytes it is given (the service's own response, captured over a healthy connection), and
 * handles each connection the way an event loop does: read the request head and its body, then, while the
 * answer is being "produced" for {@code thinkMillis}, watch the socket (a FIN or a reset then ends the
 * exchange, as Vert.x reads on while a handler works), then write the answer without reading (a write error is
 * what the kernel reports first). Each connection's fate is recorded: {@link #outcomes()}.
 */
public final class KernelReference implements AutoCloseable {
  /** What the kernel said about one connection: its first failed call's errno, a clean FIN, or nothing. */
  public enum Outcome {
    /** Every byte of the answer was taken by the kernel. */
    COMPLETE,
    /** {@code send} or {@code recv} failed with EPIPE. */
    EPIPE,
    /** {@code send} or {@code recv} failed with ECONNRESET. */
    ECONNRESET,
    /** {@code recv} returned 0 (a FIN) before the answer was written. */
    EOF,
    /** Another errno. */
    OTHER;

    /** As the service's {@code cause} tag spells it. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final int WRITE_PIECE = 16 * 1024;

  private final int listener;
  private final int port;
  private final Memory answer;
  private final long answerLength;
  private final int headLength;
  private final long thinkMillis;
  private final Map<Outcome, AtomicLong> outcomes = new ConcurrentHashMap<>();
  private final Map<Outcome, AtomicLong> midBody = new ConcurrentHashMap<>();
  /** Since when the newest connection's thread is blocked in send(), 0 while it is not; one per connection. */
  private final AtomicReference<AtomicLong> newestSendBlockedSince = new AtomicReference<>(new AtomicLong());
  private volatile boolean closed;

  /**
   * @param answer the exact bytes to write for every request (status line, header section, body as framed)
   * @param thinkMillis how long producing the answer takes; the socket is watched meanwhile
   */
  public KernelReference(byte[] answer, long thinkMillis) {
    this.answer = new Memory(answer.length);
    this.answer.write(0, answer, 0, answer.length);
    this.answerLength = answer.length;
    this.headLength = headLength(answer);
    this.thinkMillis = thinkMillis;
    for (Outcome outcome : Outcome.values()) {
      outcomes.put(outcome, new AtomicLong());
      midBody.put(outcome, new AtomicLong());
    }
    listener = Libc.C.socket(Libc.AF_INET, Libc.SOCK_STREAM, 0);
    Libc.setInt(listener, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
    byte[] address = Libc.loopback(0);
    Libc.C.bind(listener, address, address.length);
    Libc.C.listen(listener, 512);
    IntByReference length = new IntByReference(address.length);
    Libc.C.getsockname(listener, address, length);
    port = Libc.portOf(address);
    Thread acceptor = new Thread(this::acceptLoop, "kernel-reference-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return port;
  }

  /** How many connections ended each way so far. */
  public Map<Outcome, Long> outcomes() {
    Map<Outcome, Long> copy = new EnumMap<>(Outcome.class);
    outcomes.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }

  /** How many connections ended each way after the status line and header section had been taken by the kernel. */
  public Map<Outcome, Long> midBodyOutcomes() {
    Map<Outcome, Long> copy = new EnumMap<>(Outcome.class);
    midBody.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }

  /** Connections ended so far, however they ended. */
  public long ended() {
    return outcomes.values().stream().mapToLong(AtomicLong::get).sum();
  }

  /**
   * Whether the newest connection's {@code send} has been waiting for at least {@code millis}: its client does
   * not read and the socket's send buffer is full, which is where the service pauses on backpressure.
   */
  public boolean blockedInSendFor(long millis) {
    long since = newestSendBlockedSince.get().get();
    return since != 0 && System.nanoTime() - since >= millis * 1_000_000L;
  }

  private void acceptLoop() {
    while (!closed) {
      int fd;
      try {
        fd = Libc.C.accept(listener, null, null);
      } catch (LastErrorException e) {
        if (closed) {
          return;
        }
        continue;
      }
      // Each connection has its own mark: an earlier connection's thread that learns of its client's reset
      // late (on a busy machine) must not clear the newest one's.
      AtomicLong sendBlockedSince = new AtomicLong();
      newestSendBlockedSince.set(sendBlockedSince);
      Thread connection = new Thread(() -> serve(fd, sendBlockedSince), "kernel-reference-" + fd);
      connection.setDaemon(true);
      connection.start();
    }
  }

  private void serve(int fd, AtomicLong sendBlockedSince) {
    Outcome outcome;
    boolean headSent = false;
    try {
      outcome = readRequest(fd);
      if (outcome == null) {
        outcome = think(fd);
      }
      if (outcome == null) {
        long sent = 0;
        while (sent < answerLength) {
          long piece = Math.min(WRITE_PIECE, answerLength - sent);
          sendBlockedSince.set(System.nanoTime());
          long n;
          try {
            n = Libc.C.send(fd, answer.share(sent, piece), piece, Libc.MSG_NOSIGNAL);
          } finally {
            sendBlockedSince.set(0);
          }
          sent += n;
          headSent = sent >= headLength;
        }
        outcome = Outcome.COMPLETE;
      }
    } catch (LastErrorException e) {
      outcome = of(e.getErrorCode());
    } finally {
      try {
        Libc.C.close(fd);
      } catch (LastErrorException e) {
        // Closing after the client went away: nothing left to learn from it.
      }
    }
    outcomes.get(outcome).incrementAndGet();
    if (headSent) {
      midBody.get(outcome).incrementAndGet();
    }
  }

  /** Reads the head and any Content-Length body; an outcome if the client went away before, else null. */
  private static Outcome readRequest(int fd) {
    StringBuilder head = new StringBuilder();
    byte[] one = new byte[1];
    while (head.indexOf("\r\n\r\n") < 0) {
      long n = Libc.C.recv(fd, one, 1, 0);
      if (n == 0) {
        return Outcome.EOF;
      }
      head.append((char) (one[0] & 0xff));
    }
    long body = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
        body = Long.parseLong(line.substring(15).trim());
      }
    }
    byte[] buffer = new byte[8192];
    while (body > 0) {
      long n = Libc.C.recv(fd, buffer, Math.min(buffer.length, body), 0);
      if (n == 0) {
        return Outcome.EOF;
      }
      body -= n;
    }
    return null;
  }

  /** Watches the socket while the answer is produced: a FIN or an error there ends the exchange. */
  private Outcome think(int fd) {
    long deadline = System.nanoTime() + thinkMillis * 1_000_000L;
    Memory pollfd = new Memory(8);
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        return null;
      }
      pollfd.setInt(0, fd);
      pollfd.setShort(4, (short) (Libc.POLLIN | Libc.POLLRDHUP));
      pollfd.setShort(6, (short) 0);
      int ready;
      try {
        ready = Libc.C.poll(pollfd, 1, (int) left);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == Libc.EINTR) {
          continue;
        }
        throw e;
      }
      if (ready > 0) {
        long n = Libc.C.recv(fd, new byte[1], 1, 0);
        if (n == 0) {
          return Outcome.EOF;
        }
      }
    }
  }

  private static Outcome of(int errno) {
    return switch (errno) {
      case Libc.EPIPE -> Outcome.EPIPE;
      case Libc.ECONNRESET -> Outcome.ECONNRESET;
      default -> Outcome.OTHER;
    };
  }

  private static int headLength(byte[] answer) {
    String text = new String(answer, 0, Math.min(answer.length, 65_536), StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new IllegalArgumentException("no end of the header section in the answer");
    }
    return end + 4;
  }

  @Override
  public void close() {
    closed = true;
    try {
      Libc.C.shutdown(listener, Libc.SHUT_RDWR);
      Libc.C.close(listener);
    } catch (LastErrorException e) {
      // Already closed.
    }
  }
}
