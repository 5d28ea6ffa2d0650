package dev.registerservice.testing;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of a PostgreSQL that reads the wire protocol's framing and forwards message
 * by message, so that a test can break one registration's exchange at a precise point: hold the server's
 * answer, close the connection with a FIN or a reset, or go silent, right before or right after the message
 * that matters (the answer to BEGIN, to the INSERT, to COMMIT). Plain bytes cannot tell a commit whose answer
 * was lost from one that never reached the server; this can, and its event log shows which messages passed.
 *
 * <p>What vertx-pg-client 5.0.10 exchanges for {@code pool.getConnection()}, {@code begin()}, a
 * {@code preparedQuery("INSERT ... RETURNING id")} and {@code commit()}, as logged here against PostgreSQL 15:
 * the StartupMessage (no SSLRequest with the default {@code SslMode.DISABLE}), SCRAM-SHA-256 as {@code R} and
 * {@code p} messages, ParameterStatus {@code S} ..., BackendKeyData {@code K}, ReadyForQuery {@code Z 'I'}.
 * BEGIN is a simple Query {@code Q "BEGIN"}, answered CommandComplete {@code C "BEGIN"}, {@code Z 'T'}. The
 * INSERT takes two round trips: Parse {@code P} (unnamed statement), Describe {@code D} (statement), Sync
 * {@code S}, answered ParseComplete {@code 1}, ParameterDescription {@code t}, RowDescription {@code T},
 * {@code Z 'T'}; then Bind {@code B}, Execute {@code E}, Sync {@code S}, answered BindComplete {@code 2},
 * DataRow {@code D}, {@code C "INSERT 0 1"}, {@code Z 'T'}. COMMIT is {@code Q "COMMIT"}, answered
 * {@code C "COMMIT"}, {@code Z 'I'}. A connection back in the pool sends nothing; closing the pool sends
 * Terminate {@code X}. (pgjdbc, by contrast, opens with an SSLRequest: its default is sslmode=prefer.)
 *
 * <p>A connection opens with untyped packets (int32 length, int32 code): an SSLRequest or GSSENCRequest gets one
 * unframed byte back; {@code N} goes on to the StartupMessage, anything else means encryption, and the rest is
 * relayed as opaque bytes (no points). A CancelRequest is relayed until the server closes. Afterwards every
 * message is a type byte and an int32 length; both are kept byte for byte. An end of stream is passed on as a
 * half close, so the peers' FINs arrive as they were sent.
 *
 * <p>A fault is armed for the next {@link Point} reached on any connection, and acts on that connection only;
 * several may be armed at once, each acts once. A Point is recognised by the server's messages (tags, and
 * which ReadyForQuery ends which answer), except the COMMIT's answer: the server's first message after a
 * simple Query COMMIT was forwarded (an asynchronous notice arriving just then would be taken for it).
 */
public final class PgFaultProxy implements AutoCloseable {
  /** The type of an event that is a fault taking effect, not a message. */
  public static final char FAULT = '!';
  /** The type of the untyped packets that open a connection: StartupMessage, SSLRequest, CancelRequest. */
  public static final char UNTYPED = '-';
  private static final int SSL_REQUEST = 80877103;
  private static final int GSSENC_REQUEST = 80877104;
  private static final int CANCEL_REQUEST = 80877102;
  /** A StartupMessage longer than this is not one (a TLS ClientHello sent directly, say): relayed as bytes. */
  private static final int MAX_STARTUP_LENGTH = 10_000;
  private static final int TO_STRING_EVENTS = 40;

  /** Which way a message went. */
  public enum Direction {
    TO_SERVER("->"), TO_CLIENT("<-");

    private final String arrow;

    Direction(String arrow) {
      this.arrow = arrow;
    }
  }

  /**
   * Where in a registration's exchange a fault acts. An {@code ..._ANSWER} point acts on the server's answer
   * before it is delivered, so the client never gets it while the fault lasts; an {@code AFTER_..._ANSWER}
   * point acts right after the ReadyForQuery that ends the answer was delivered, so the client has its result
   * and the fault hits whatever comes next on that connection (a blackhole or a drop is in force before that
   * ReadyForQuery is written, so that even the client's immediate reply meets it; a hold starts after it).
   */
  public enum Point {
    /** The server's CommandComplete "BEGIN", about to go to the client: the server is in a transaction. */
    BEGIN_ANSWER,
    /**
     * The server's CommandComplete of the statement inside the transaction (the registration's INSERT, whose
     * tag is "INSERT 0 1", or "SELECT 1" when it carries its submission token in a WITH clause), about to go
     * to the client (its DataRows went already).
     */
    INSERT_ANSWER,
    /** The INSERT's answer, ReadyForQuery included, was delivered: the fault hits the COMMIT's exchange. */
    AFTER_INSERT_ANSWER,
    /**
     * The server's first message after the client's {@code Q "COMMIT"} was forwarded (CommandComplete
     * "COMMIT", or an error), about to go to the client: the server has decided the commit.
     */
    COMMIT_ANSWER,
    /** The COMMIT's CommandComplete and ReadyForQuery were delivered: the fault hits the next statement. */
    AFTER_COMMIT_ANSWER
  }

  private static boolean isTransactionControl(String tag) {
    return tag.equals("BEGIN") || tag.equals("COMMIT") || tag.equals("ROLLBACK");
  }

  /** What a fault does to its connection. */
  public record Action(Kind kind, Duration duration) {
    /** Both sockets shut down with a FIN; what either peer sends afterwards is read and discarded. */
    public static final Action DROP_FIN = new Action(Kind.DROP_FIN, Duration.ZERO);
    /** Both sockets closed with SO_LINGER 0: each peer sees a reset. */
    public static final Action DROP_RST = new Action(Kind.DROP_RST, Duration.ZERO);
    /** Nothing forwarded either way, no FIN, no reset, until {@link Fault#release()} or the proxy closes. */
    public static final Action BLACKHOLE = new Action(Kind.BLACKHOLE, Duration.ZERO);

    public enum Kind {
      HOLD, DROP_FIN, DROP_RST, BLACKHOLE
    }

    public Action {
      Objects.requireNonNull(kind);
      Objects.requireNonNull(duration);
    }

    /** The server's messages from the point on are held for {@code duration}, then delivered in order. */
    public static Action hold(Duration duration) {
      return new Action(Kind.HOLD, duration);
    }

    @Override
    public String toString() {
      return kind == Kind.HOLD ? "HOLD(" + duration.toMillis() + " ms)" : kind.name();
    }
  }

  /**
   * One message forwarded (at {@code nanoTime}, as it is written to the other side), or a fault taking effect
   * ({@link #FAULT}). {@code text} is the command tag, the query, an error's code and message, the
   * ReadyForQuery status or a packet's name, where there is one, else "".
   */
  public record Event(int connection, Direction direction, char type, String text, long nanoTime) {
  }

  /** An armed fault: it acts once, at the first matching point on any connection. */
  public final class Fault {
    private final Point point;
    private final Action action;
    private final CountDownLatch triggered = new CountDownLatch(1);
    private volatile Link link;
    private volatile boolean released;
    private volatile long triggeredNanos;

    private Fault(Point point, Action action) {
      this.point = point;
      this.action = action;
    }

    /** Waits until the fault took effect; false if it did not within {@code timeout}. */
    public boolean awaitTriggered(Duration timeout) throws InterruptedException {
      return triggered.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    public boolean triggered() {
      return triggered.getCount() == 0;
    }

    /** {@link System#nanoTime()} when it took effect; meaningful once {@link #triggered()}. */
    public long triggeredNanos() {
      return triggeredNanos;
    }

    /** The number of the connection it acted on (as in {@link Event#connection()}), or 0 before. */
    public int connection() {
      Link acted = link;
      return acted == null ? 0 : acted.number;
    }

    /**
     * Ends a HOLD or a BLACKHOLE now (what was held is delivered in order), or disarms a fault that has not
     * acted yet. A HOLD or BLACKHOLE of another fault on the same connection ends with it.
     */
    public void release() {
      Link acted;
      synchronized (armed) {
        released = true;
        armed.remove(this);
        acted = link;
      }
      if (acted != null) {
        acted.lift();
      }
    }

    @Override
    public String toString() {
      return point + " " + action;
    }
  }

  private record Message(char type, byte[] frame, String text) {
  }

  private final ServerSocket server;
  private final int targetPort;
  private final long startNanos = System.nanoTime();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final List<Fault> armed = new ArrayList<>();
  private final List<Event> events = new ArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile boolean closed;

  public PgFaultProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "pg-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Arms {@code action} for the next time any connection reaches {@code point}. */
  public Fault arm(Point point, Action action) {
    Fault fault = new Fault(Objects.requireNonNull(point), Objects.requireNonNull(action));
    synchronized (armed) {
      armed.add(fault);
    }
    return fault;
  }

  /** Every event so far, in the order they happened. */
  public List<Event> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  /** The last {@code count} events, one a line, times in milliseconds since the proxy started. */
  public String describe(int count) {
    List<Event> all = events();
    StringBuilder out = new StringBuilder();
    for (Event e : all.subList(Math.max(0, all.size() - count), all.size())) {
      out.append(String.format(Locale.ROOT, "%10.1f ms #%d %s %c %s%n", (e.nanoTime() - startNanos) / 1e6,
          e.connection(), e.direction().arrow, e.type(), e.text()));
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return "PgFaultProxy :" + port() + " -> :" + targetPort + ", last events:\n" + describe(TO_STRING_EVENTS);
  }

  private void log(int connection, Direction direction, char type, String text) {
    log(new Event(connection, direction, type, text, System.nanoTime()));
  }

  private void log(Event event) {
    synchronized (events) {
      events.add(event);
    }
  }

  /** Takes the first armed, unreleased fault for {@code point}, now bound to {@code link}; null if none. */
  private Fault claim(Point point, Link link) {
    synchronized (armed) {
      for (Fault fault : armed) {
        if (fault.point == point && !fault.released) {
          armed.remove(fault);
          fault.link = link;
          return fault;
        }
      }
      return null;
    }
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        client.setTcpNoDelay(true);
        sockets.add(client);
        Link link = new Link(connections.incrementAndGet(), client);
        links.add(link);
        Thread thread = new Thread(link::serve, "pg-proxy-" + link.number + "-to-server");
        thread.setDaemon(true);
        thread.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  /** One client connection and its connection to the server. */
  private final class Link {
    private final int number;
    private final Socket client;
    private volatile Socket upstream;
    /** Set before a client's COMMIT is written: the server's next message is its answer. */
    private volatile boolean commitForwarded;
    private boolean holding;
    private long holdUntil;
    private boolean blackholed;
    /** Dropped: nothing is forwarded any more, whatever arrives is read until the end and discarded. */
    private volatile boolean discarding;
    private int pumpsDone;

    Link(int number, Socket client) {
      this.number = number;
      this.client = client;
    }

    void serve() {
      try {
        upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        upstream.setTcpNoDelay(true);
        sockets.add(upstream);
        DataInputStream fromClient = new DataInputStream(new BufferedInputStream(client.getInputStream()));
        DataInputStream fromServer = new DataInputStream(new BufferedInputStream(upstream.getInputStream()));
        OutputStream toServer = upstream.getOutputStream();
        OutputStream toClient = client.getOutputStream();
        while (true) {
          int first = fromClient.read();
          if (first < 0) {
            closeBoth();
            return;
          }
          byte[] head = new byte[8];
          head[0] = (byte) first;
          fromClient.readFully(head, 1, 7);
          int length = intAt(head, 0);
          int code = intAt(head, 4);
          if (length < head.length || length > MAX_STARTUP_LENGTH) {
            log(number, Direction.TO_SERVER, UNTYPED, "not a PostgreSQL packet: relayed as bytes");
            toServer.write(head);
            relayBytes(fromClient, fromServer, toServer, toClient);
            return;
          }
          byte[] packet = new byte[length];
          System.arraycopy(head, 0, packet, 0, head.length);
          fromClient.readFully(packet, head.length, length - head.length);
          log(number, Direction.TO_SERVER, UNTYPED, packetName(code, packet));
          toServer.write(packet);
          toServer.flush();
          if (code == SSL_REQUEST || code == GSSENC_REQUEST) {
            int answer = fromServer.read();
            if (answer < 0) {
              closeBoth();
              return;
            }
            log(number, Direction.TO_CLIENT, (char) answer, "answer to " + packetName(code, packet));
            toClient.write(answer);
            toClient.flush();
            if (answer != 'N') {
              relayBytes(fromClient, fromServer, toServer, toClient);
              return;
            }
          } else if (code == CANCEL_REQUEST) {
            relayBytes(fromClient, fromServer, toServer, toClient);
            return;
          } else {
            Thread toClientPump = new Thread(() -> pumpToClient(fromServer, toClient),
                "pg-proxy-" + number + "-to-client");
            toClientPump.setDaemon(true);
            toClientPump.start();
            pumpToServer(fromClient, toServer);
            return;
          }
        }
      } catch (IOException e) {
        closeBoth();
      }
    }

    private void pumpToServer(DataInputStream in, OutputStream out) {
      try {
        Message message;
        while ((message = read(in, Direction.TO_SERVER)) != null) {
          gate(Direction.TO_SERVER);
          if (discarding) {
            continue;
          }
          if (message.type() == 'Q' && isCommit(message.text())) {
            commitForwarded = true;
          }
          log(number, Direction.TO_SERVER, message.type(), message.text());
          out.write(message.frame());
          out.flush();
        }
        ended(Direction.TO_SERVER, upstream);
      } catch (IOException | InterruptedException e) {
        closeBoth();
      }
    }

    private void pumpToClient(DataInputStream in, OutputStream out) {
      // The last CommandComplete's tag since the last ReadyForQuery: which answer a ReadyForQuery ends.
      String tag = "";
      // Whether the last ReadyForQuery said "in a transaction block" ('T'): a statement answered then is the
      // registration's INSERT.
      boolean inTransaction = false;
      try {
        Message message;
        while ((message = read(in, Direction.TO_CLIENT)) != null) {
          if (discarding) {
            continue;
          }
          Point before = null;
          Point after = null;
          boolean statement = message.type() == 'C' && inTransaction && !isTransactionControl(message.text());
          if (commitForwarded) {
            commitForwarded = false;
            before = Point.COMMIT_ANSWER;
          } else if (message.type() == 'C' && message.text().equals("BEGIN")) {
            before = Point.BEGIN_ANSWER;
          } else if (statement) {
            before = Point.INSERT_ANSWER;
          }
          if (message.type() == 'C') {
            tag = statement ? "STATEMENT" : message.text();
          } else if (message.type() == 'Z') {
            if (tag.equals("STATEMENT")) {
              after = Point.AFTER_INSERT_ANSWER;
            } else if (tag.equals("COMMIT")) {
              after = Point.AFTER_COMMIT_ANSWER;
            }
            tag = "";
            inTransaction = message.text().equals("T");
          }
          Fault first = before == null ? null : claim(before, this);
          if (first != null && enact(first)) {
            finish(first, message, "before");
          }
          gate(Direction.TO_CLIENT);
          if (discarding) {
            continue;
          }
          // A fault after this message stops the other direction before it is written: the client's reply
          // to it (its COMMIT, say) must already meet the fault.
          Fault next = after == null ? null : claim(after, this);
          boolean acting = next != null && enact(next);
          log(number, Direction.TO_CLIENT, message.type(), message.text());
          out.write(message.frame());
          out.flush();
          if (acting) {
            finish(next, message, "after");
          }
        }
        ended(Direction.TO_CLIENT, client);
      } catch (IOException | InterruptedException e) {
        closeBoth();
      }
    }

    /**
     * Stops what {@code fault} stops from now on (a blackhole, a drop), unless it was released meanwhile; its
     * hold and its closing sockets follow in {@link #finish}. False if released.
     */
    private synchronized boolean enact(Fault fault) {
      if (fault.released) {
        return false;
      }
      switch (fault.action.kind()) {
        case BLACKHOLE -> blackholed = true;
        case DROP_FIN, DROP_RST -> discarding = true;
        default -> {
          // a hold starts in finish
        }
      }
      notifyAll();
      return true;
    }

    /** Completes {@code fault}, which acted {@code when} ("before" or "after") {@code message} was delivered. */
    private void finish(Fault fault, Message message, String when) {
      Action action = fault.action;
      long now = System.nanoTime();
      if (action.kind() == Action.Kind.HOLD) {
        synchronized (this) {
          if (!fault.released) {
            long until = now + action.duration().toNanos();
            holdUntil = holding && holdUntil - until > 0 ? holdUntil : until;
            holding = true;
          }
        }
      }
      log(new Event(number, Direction.TO_CLIENT, FAULT, fault.point + " " + action + " " + when + " "
          + message.type() + " " + message.text(), now));
      if (action.kind() == Action.Kind.DROP_FIN) {
        shutdownOutput(client);
        shutdownOutput(upstream);
      } else if (action.kind() == Action.Kind.DROP_RST) {
        // Both lingering 0 before either closes: a pump that fails on the first and closes the other resets it.
        lingerZero(client);
        lingerZero(upstream);
        closeBoth();
      }
      fault.triggeredNanos = now;
      fault.triggered.countDown();
    }

    /** Returns once a message may go {@code direction}: no blackhole, no hold (towards the client) in force. */
    private synchronized void gate(Direction direction) throws InterruptedException {
      while (!closed && !discarding) {
        if (blackholed) {
          wait();
          continue;
        }
        if (direction == Direction.TO_CLIENT && holding) {
          long left = holdUntil - System.nanoTime();
          if (left > 0) {
            TimeUnit.NANOSECONDS.timedWait(this, left);
            continue;
          }
          holding = false;
        }
        return;
      }
    }

    synchronized void lift() {
      holding = false;
      blackholed = false;
      notifyAll();
    }

    /** The side read from ended its stream: passed on as a half close, once a blackhole or hold lets it. */
    private void ended(Direction direction, Socket to) throws InterruptedException {
      gate(direction);
      if (!discarding) {
        shutdownOutput(to);
      }
      synchronized (this) {
        if (++pumpsDone < 2) {
          return;
        }
      }
      closeBoth();
    }

    /** Relays opaque bytes both ways (an encrypted or cancel connection): no framing, no faults. */
    private void relayBytes(InputStream fromClient, InputStream fromServer, OutputStream toServer,
        OutputStream toClient) {
      Thread back = new Thread(() -> copy(fromServer, toClient, client), "pg-proxy-" + number + "-bytes-to-client");
      back.setDaemon(true);
      back.start();
      copy(fromClient, toServer, upstream);
    }

    private void copy(InputStream in, OutputStream out, Socket to) {
      byte[] buffer = new byte[16384];
      try {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          out.flush();
        }
        shutdownOutput(to);
        synchronized (this) {
          if (++pumpsDone < 2) {
            return;
          }
        }
        closeBoth();
      } catch (IOException e) {
        closeBoth();
      }
    }

    synchronized void wake() {
      notifyAll();
    }

    void closeBoth() {
      closeQuietly(client);
      if (upstream != null) {
        closeQuietly(upstream);
      }
    }
  }

  /** The next message, or null at the end of the stream before one began. */
  private static Message read(DataInputStream in, Direction direction) throws IOException {
    int type = in.read();
    if (type < 0) {
      return null;
    }
    int length = in.readInt();
    if (length < 4) {
      throw new IOException("message '" + (char) type + "' with length " + length);
    }
    byte[] frame = new byte[1 + length];
    frame[0] = (byte) type;
    frame[1] = (byte) (length >>> 24);
    frame[2] = (byte) (length >>> 16);
    frame[3] = (byte) (length >>> 8);
    frame[4] = (byte) length;
    in.readFully(frame, 5, length - 4);
    return new Message((char) type, frame, text(direction, (char) type, frame));
  }

  /** What is worth logging of a message: see {@link Event#text()}. */
  private static String text(Direction direction, char type, byte[] frame) {
    if (direction == Direction.TO_SERVER) {
      return switch (type) {
        case 'Q' -> cString(frame, 5);
        case 'P' -> named(cString(frame, 5), cString(frame, afterCString(frame, 5)));
        case 'B' -> named(cString(frame, afterCString(frame, 5)), "");
        case 'D', 'C' -> ((char) frame[5] == 'S' ? "statement " : "portal ") + cString(frame, 6);
        default -> "";
      };
    }
    return switch (type) {
      case 'C' -> cString(frame, 5);
      case 'Z' -> String.valueOf((char) frame[5]);
      case 'R' -> "auth " + intAt(frame, 5);
      case 'K' -> "pid " + intAt(frame, 5);
      case 'E', 'N' -> errorFields(frame);
      case 'S' -> cString(frame, 5) + "=" + cString(frame, afterCString(frame, 5));
      default -> "";
    };
  }

  /** A query or statement, prefixed by the prepared statement's name if it has one. */
  private static String named(String statement, String rest) {
    return statement.isEmpty() ? rest : rest.isEmpty() ? statement : statement + ": " + rest;
  }

  /** An ErrorResponse's or NoticeResponse's severity, SQLSTATE and message. */
  private static String errorFields(byte[] frame) {
    StringBuilder out = new StringBuilder();
    int at = 5;
    while (at < frame.length && frame[at] != 0) {
      char field = (char) frame[at];
      if (field == 'V' || field == 'C' || field == 'M') {
        out.append(out.length() == 0 ? "" : " ").append(cString(frame, at + 1));
      }
      at = afterCString(frame, at + 1);
    }
    return out.toString();
  }

  private static String packetName(int code, byte[] packet) {
    return switch (code) {
      case SSL_REQUEST -> "SSLRequest";
      case GSSENC_REQUEST -> "GSSENCRequest";
      case CANCEL_REQUEST -> "CancelRequest";
      default -> "StartupMessage " + (code >>> 16) + "." + (code & 0xffff) + startupParameters(packet);
    };
  }

  private static String startupParameters(byte[] packet) {
    StringBuilder out = new StringBuilder();
    int at = 8;
    while (at < packet.length && packet[at] != 0) {
      String name = cString(packet, at);
      at = afterCString(packet, at);
      if (name.equals("user") || name.equals("database")) {
        out.append(' ').append(name).append('=').append(cString(packet, at));
      }
      at = afterCString(packet, at);
    }
    return out.toString();
  }

  /** True for a simple query that ends a transaction by committing it: COMMIT or END, with or without more. */
  private static boolean isCommit(String query) {
    String word = query.strip().split("[^A-Za-z]", 2)[0].toUpperCase(Locale.ROOT);
    return word.equals("COMMIT") || word.equals("END");
  }

  private static String cString(byte[] bytes, int from) {
    int end = from;
    while (end < bytes.length && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, from, end - from, StandardCharsets.UTF_8);
  }

  /** Where the byte after the NUL that ends the string at {@code from} is. */
  private static int afterCString(byte[] bytes, int from) {
    int end = from;
    while (end < bytes.length && bytes[end] != 0) {
      end++;
    }
    return end + 1;
  }

  private static int intAt(byte[] bytes, int at) {
    return (bytes[at] & 0xff) << 24 | (bytes[at + 1] & 0xff) << 16 | (bytes[at + 2] & 0xff) << 8
        | bytes[at + 3] & 0xff;
  }

  private static void shutdownOutput(Socket socket) {
    try {
      socket.shutdownOutput();
    } catch (IOException ignored) {
      // closed already
    }
  }

  /** Makes closing {@code socket} abortive: a reset, not a FIN. */
  private static void lingerZero(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
    } catch (IOException ignored) {
      // closed already
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    links.forEach(Link::wake);
    server.close();
    sockets.forEach(PgFaultProxy::closeQuietly);
  }
}
