package dev.registerservice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.testing.PgFaultProxy.Action;
import dev.registerservice.testing.PgFaultProxy.Direction;
import dev.registerservice.testing.PgFaultProxy.Event;
import dev.registerservice.testing.PgFaultProxy.Fault;
import dev.registerservice.testing.PgFaultProxy.Point;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link PgFaultProxy} between a real Vert.x pool and a real PostgreSQL with password authentication
 * ({@link LocalPostgres}): each point of a registration's
 * transaction (BEGIN, INSERT ... RETURNING id, COMMIT, then one more statement on the same connection) under
 * each action, checking what the client saw, when, and what PostgreSQL kept, asked directly. A failing test
 * prints the proxy's last events; every fault scenario prints one line of what happened.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PgFaultProxyTest {
  private static final Duration HOLD = Duration.ofSeconds(3);
  /** How long a blackholed exchange is watched staying silent before it is released. */
  private static final Duration SILENCE = Duration.ofSeconds(1);
  private static final Duration PROMPTLY = Duration.ofSeconds(10);
  private static final String INSERT = "INSERT INTO registrations (name) VALUES ($1) RETURNING id";
  private static final AtomicInteger NAMES = new AtomicInteger();

  private static LocalPostgres postgres;
  private static Vertx vertx;

  private PgFaultProxy proxy;
  private Pool pool;

  @RegisterExtension
  final TestWatcher printEventsOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      System.out.println(context.getDisplayName() + " failed; " + proxy);
    }
  };

  /** The stages of one registration, in order; each completes with when it finished and how. */
  private enum Stage {
    BEGIN, INSERT, COMMIT, NEXT_STATEMENT
  }

  private record Outcome(long nanos, Throwable failure) {
    boolean succeeded() {
      return failure == null;
    }
  }

  private static final class Attempt {
    final Map<Stage, CompletableFuture<Outcome>> stages = new EnumMap<>(Stage.class);

    Attempt() {
      for (Stage stage : Stage.values()) {
        stages.put(stage, new CompletableFuture<>());
      }
    }

    CompletableFuture<Outcome> stage(Stage stage) {
      return stages.get(stage);
    }

    <T> void record(Stage stage, AsyncResult<T> result) {
      stages.get(stage).complete(new Outcome(System.nanoTime(), result.failed() ? result.cause() : null));
    }

    Outcome await(Stage stage) throws Exception {
      return stage(stage).get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
    }
  }

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = LocalPostgres.start();
    vertx = Vertx.vertx();
    try (Connection connection = direct()) {
      connection.createStatement().execute("CREATE TABLE registrations"
          + " (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
    }
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (vertx != null) {
      vertx.close().await(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @BeforeEach
  void startProxy() throws Exception {
    proxy = new PgFaultProxy(postgres.port());
    pool = pool(LocalPostgres.PASSWORD);
  }

  @AfterEach
  void stopProxy() throws Exception {
    proxy.close();
    pool.close().await(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void forwardsTheTransactionMessageByMessage() throws Exception {
    String name = uniqueName();
    Attempt attempt = register(name);
    assertThat(attempt.await(Stage.NEXT_STATEMENT).succeeded()).isTrue();
    assertThat(stored(name)).isTrue();

    List<String> exchange = proxy.events().stream()
        .dropWhile(e -> !(e.type() == 'Q' && e.text().equals("BEGIN")))
        .takeWhile(e -> !(e.type() == 'Q' && e.text().equals("SELECT 1")))
        .map(e -> e.direction() + " " + e.type() + " " + e.text()).toList();
    assertThat(exchange).containsExactly(
        "TO_SERVER Q BEGIN", "TO_CLIENT C BEGIN", "TO_CLIENT Z T",
        "TO_SERVER P " + INSERT, "TO_SERVER D statement ", "TO_SERVER S ",
        "TO_CLIENT 1 ", "TO_CLIENT t ", "TO_CLIENT T ", "TO_CLIENT Z T",
        "TO_SERVER B ", "TO_SERVER E ", "TO_SERVER S ",
        "TO_CLIENT 2 ", "TO_CLIENT D ", "TO_CLIENT C INSERT 0 1", "TO_CLIENT Z T",
        "TO_SERVER Q COMMIT", "TO_CLIENT C COMMIT", "TO_CLIENT Z I");
  }

  @Test
  void passesPasswordAuthenticationThroughAndRefusesAWrongPassword() throws Exception {
    Attempt attempt = register(uniqueName());
    assertThat(attempt.await(Stage.COMMIT).succeeded()).isTrue();
    assertThat(proxy.events()).extracting(Event::text).contains("auth 10", "auth 11", "auth 12", "auth 0");

    Pool wrong = pool("not-the-password");
    try {
      Throwable refused = wrong.query("SELECT 1").execute().toCompletionStage().toCompletableFuture()
          .handle((rows, failure) -> failure).get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
      assertThat(refused).isInstanceOf(PgException.class);
      assertThat(((PgException) refused).getSqlState()).isEqualTo("28P01");
    } finally {
      wrong.close().await(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
    }
  }

  @Test
  void answersAnSslRequestWithTheServersByteThenFramesTheStartup() throws Exception {
    // pgjdbc's default sslmode=prefer asks for SSL first; this server has none and answers 'N'.
    try (Connection connection = DriverManager.getConnection(LocalPostgres.jdbcUrl(proxy.port()),
        LocalPostgres.USER, LocalPostgres.PASSWORD); ResultSet rows =
        connection.createStatement().executeQuery("SELECT 41 + 1")) {
      assertThat(rows.next()).isTrue();
      assertThat(rows.getInt(1)).isEqualTo(42);
    }
    assertThat(proxy.events()).extracting(e -> e.type() + " " + e.text())
        .containsSubsequence("- SSLRequest", "N answer to SSLRequest", "- StartupMessage 3.0 user=postgres"
            + " database=postgres", "R auth 10", "Z I", "P SELECT 41 + 1", "C SELECT 1");
  }

  @Test
  void answersAGssencRequestWithTheServersOneUnframedByte() throws Exception {
    // Debian's PostgreSQL is built with GSSAPI and says 'G' (go ahead) even without a keytab; from then on the
    // proxy relays opaque bytes. A server without GSSAPI says 'N', and the StartupMessage follows.
    char direct = gssencAnswer(postgres.port());
    assertThat(direct).isIn('G', 'N');
    assertThat(gssencAnswer(proxy.port())).isEqualTo(direct);
    assertThat(proxy.events()).extracting(e -> e.type() + " " + e.text())
        .containsExactly("- GSSENCRequest", direct + " answer to GSSENCRequest");
  }

  private static char gssencAnswer(int port) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      out.writeInt(8);
      out.writeInt(80877104);
      out.flush();
      return (char) new DataInputStream(socket.getInputStream()).readByte();
    }
  }

  @Test
  void relaysACancelRequestOnItsOwnConnection() throws Exception {
    SqlConnection connection = pool.getConnection().await(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
    long started = System.nanoTime();
    CompletableFuture<Throwable> sleeping = connection.query("SELECT pg_sleep(30)").execute()
        .toCompletionStage().toCompletableFuture().handle((rows, failure) -> failure);
    Awaitility.await().atMost(PROMPTLY).until(() -> proxy.events().stream()
        .anyMatch(e -> e.text().equals("SELECT pg_sleep(30)")));
    PgConnection.cast(connection).cancelRequest().await(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
    Throwable failure = sleeping.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
    assertThat(failure).isInstanceOf(PgException.class);
    assertThat(((PgException) failure).getSqlState()).isEqualTo("57014");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(PROMPTLY);
    assertThat(proxy.events()).anyMatch(e -> e.connection() > 1 && e.text().equals("CancelRequest"));
    connection.close();
  }

  @ParameterizedTest
  @EnumSource(Point.class)
  void holdDelaysTheAnswersFromThePointOnAndThenDeliversThem(Point point) throws Exception {
    String name = uniqueName();
    Fault fault = proxy.arm(point, Action.hold(HOLD));
    Attempt attempt = register(name);
    assertThat(fault.awaitTriggered(PROMPTLY)).isTrue();
    Stage delayed = stageHitBy(point);
    // Requests keep flowing: once COMMIT can be sent it is, and committed at once, its answer still held.
    boolean committedAtOnce = point.compareTo(Point.AFTER_INSERT_ANSWER) >= 0;
    if (committedAtOnce) {
      Awaitility.await().atMost(HOLD.dividedBy(2)).pollInterval(Duration.ofMillis(10)).until(() -> stored(name));
      System.out.printf("%s: stored %.1f ms after the fault%n", fault,
          (System.nanoTime() - fault.triggeredNanos()) / 1e6);
    } else {
      assertThat(stored(name)).isFalse();
    }
    assertThat(attempt.stage(delayed)).isNotDone();

    for (Stage stage : Stage.values()) {
      assertThat(attempt.await(stage).succeeded()).as(stage.name()).isTrue();
    }
    Duration late = Duration.ofNanos(attempt.await(delayed).nanos() - fault.triggeredNanos());
    assertThat(late).isBetween(HOLD.minusMillis(50), HOLD.plusSeconds(2));
    System.out.printf("%s: %s answered %d ms after the fault, every stage succeeded%n", fault, delayed,
        late.toMillis());
    for (Stage stage : Stage.values()) {
      if (stage.compareTo(delayed) < 0) {
        assertThat(attempt.await(stage).nanos()).as(stage + " not held")
            .isLessThan(fault.triggeredNanos() + HOLD.toNanos() / 2);
      }
    }
    assertThat(stored(name)).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Point.class)
  void dropFinFailsTheStageAndKeepsOnlyWhatWasCommitted(Point point) throws Exception {
    drop(point, Action.DROP_FIN);
  }

  @ParameterizedTest
  @EnumSource(Point.class)
  void dropRstFailsTheStageAndKeepsOnlyWhatWasCommitted(Point point) throws Exception {
    drop(point, Action.DROP_RST);
  }

  private void drop(Point point, Action action) throws Exception {
    String name = uniqueName();
    Fault fault = proxy.arm(point, action);
    Attempt attempt = register(name);
    assertThat(fault.awaitTriggered(PROMPTLY)).isTrue();
    Stage failed = stageHitBy(point);
    Outcome outcome = attempt.await(failed);
    assertThat(outcome.succeeded()).as(failed + " fails").isFalse();
    System.out.printf("%s %s: %s fails %.1f ms after the fault with %s%n", point, action, failed,
        (outcome.nanos() - fault.triggeredNanos()) / 1e6, outcome.failure());
    for (Stage stage : Stage.values()) {
      if (stage.compareTo(failed) < 0) {
        assertThat(attempt.await(stage).succeeded()).as(stage.name()).isTrue();
      } else if (stage.compareTo(failed) > 0) {
        assertThat(attempt.stage(stage)).as(stage.name()).isNotDone();
      }
    }
    // The server's session has ended (an open transaction rolled back): only a commit it answered stays.
    int pid = backendPid(fault.connection());
    Awaitility.await().atMost(PROMPTLY).until(() -> !backendAlive(pid));
    assertThat(stored(name)).isEqualTo(point.compareTo(Point.COMMIT_ANSWER) >= 0);
    // Each side saw what it was sent: an end of stream, or a reset.
    String resetLogged = "[" + pid + "] LOG:  could not receive data from client: Connection reset by peer";
    if (action == Action.DROP_RST) {
      assertThat(outcome.failure()).hasMessageContaining("reset");
      assertThat(postgres.serverLog()).contains(resetLogged);
    } else {
      assertThat(outcome.failure()).isInstanceOf(ClosedConnectionException.class);
      assertThat(postgres.serverLog()).doesNotContain("[" + pid + "]" + " LOG:  could not receive data");
    }
  }

  @ParameterizedTest
  @EnumSource(Point.class)
  void blackholeSilencesTheConnectionUntilReleased(Point point) throws Exception {
    String name = uniqueName();
    Fault fault = proxy.arm(point, Action.BLACKHOLE);
    Attempt attempt = register(name);
    assertThat(fault.awaitTriggered(PROMPTLY)).isTrue();
    Stage stalled = stageHitBy(point);
    Thread.sleep(SILENCE.toMillis());
    assertThat(attempt.stage(stalled)).isNotDone();
    int pid = backendPid(fault.connection());
    assertThat(backendAlive(pid)).as("no FIN, no reset: the server's session is still there").isTrue();
    // Nothing passed on that connection since the fault, in either direction (a COMMIT sent meanwhile waits).
    assertThat(proxy.events()).filteredOn(e -> e.connection() == fault.connection()
        && e.nanoTime() > fault.triggeredNanos()).isEmpty();
    assertThat(stored(name)).isEqualTo(point.compareTo(Point.COMMIT_ANSWER) >= 0);

    long released = System.nanoTime();
    fault.release();
    for (Stage stage : Stage.values()) {
      assertThat(attempt.await(stage).succeeded()).as(stage.name()).isTrue();
    }
    assertThat(attempt.await(stalled).nanos()).isGreaterThan(released);
    assertThat(stored(name)).isTrue();
    System.out.printf("%s: %s pending for %d ms, stored meanwhile: %b; answered %.1f ms after release()%n",
        fault, stalled, Duration.ofNanos(released - fault.triggeredNanos()).toMillis(),
        point.compareTo(Point.COMMIT_ANSWER) >= 0, (attempt.await(stalled).nanos() - released) / 1e6);
  }

  @Test
  void aReleasedFaultThatHasNotActedNeverActs() throws Exception {
    Fault fault = proxy.arm(Point.BEGIN_ANSWER, Action.DROP_RST);
    fault.release();
    String name = uniqueName();
    assertThat(register(name).await(Stage.NEXT_STATEMENT).succeeded()).isTrue();
    assertThat(fault.triggered()).isFalse();
    assertThat(stored(name)).isTrue();
  }

  /** The first stage whose answer the fault at {@code point} keeps from the client. */
  private static Stage stageHitBy(Point point) {
    return switch (point) {
      case BEGIN_ANSWER -> Stage.BEGIN;
      case INSERT_ANSWER -> Stage.INSERT;
      case AFTER_INSERT_ANSWER, COMMIT_ANSWER -> Stage.COMMIT;
      case AFTER_COMMIT_ANSWER -> Stage.NEXT_STATEMENT;
    };
  }

  /** A registration as the service runs it, then one more statement on the same connection. */
  private Attempt register(String name) {
    Attempt attempt = new Attempt();
    pool.getConnection().onComplete(got -> {
      if (got.failed()) {
        attempt.record(Stage.BEGIN, got);
        return;
      }
      SqlConnection connection = got.result();
      // A broken connection fails the statement anyway; without a handler vertx-sql-client also prints it.
      connection.exceptionHandler(failure -> { });
      connection.begin().onComplete(begun -> attempt.record(Stage.BEGIN, begun))
          .compose(tx -> connection.preparedQuery(INSERT).execute(Tuple.of(name))
              .onComplete(inserted -> attempt.record(Stage.INSERT, inserted))
              .compose(rows -> tx.commit().onComplete(committed -> attempt.record(Stage.COMMIT, committed))))
          .compose(committed -> connection.query("SELECT 1").execute()
              .onComplete(next -> attempt.record(Stage.NEXT_STATEMENT, next)))
          .eventually(connection::close);
    });
    return attempt;
  }

  private Pool pool(String password) {
    PgConnectOptions connect = new PgConnectOptions().setHost("127.0.0.1").setPort(proxy.port())
        .setUser(LocalPostgres.USER).setPassword(password).setDatabase("postgres");
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(connect).using(vertx).build();
  }

  /** The server process behind proxy connection {@code connection}, from its BackendKeyData. */
  private int backendPid(int connection) {
    return proxy.events().stream()
        .filter(e -> e.connection() == connection && e.direction() == Direction.TO_CLIENT && e.type() == 'K')
        .map(e -> Integer.parseInt(e.text().substring("pid ".length())))
        .findFirst().orElseThrow();
  }

  private static boolean backendAlive(int pid) throws SQLException {
    return count("SELECT count(*) FROM pg_stat_activity WHERE pid = ?", pid) > 0;
  }

  /** Whether PostgreSQL holds a committed row for {@code name}, asked directly, not through the proxy. */
  private static boolean stored(String name) throws SQLException {
    return count("SELECT count(*) FROM registrations WHERE name = ?", name) > 0;
  }

  private static long count(String query, Object parameter) throws SQLException {
    try (Connection connection = direct(); PreparedStatement statement = connection.prepareStatement(query)) {
      statement.setObject(1, parameter);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  private static Connection direct() throws SQLException {
    return postgres.connect();
  }

  private static String uniqueName() {
    return "user-" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
  }
}
