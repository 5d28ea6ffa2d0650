package dev.registerservice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Which failures mean "the database is not there now" (503, not logged) and which are unexpected (500,
 * logged with their cause): by type and SQLSTATE class, never by message text.
 */
class DatabaseFailuresTest {
  private static PgException pg(String sqlState) {
    return new PgException("message", "ERROR", sqlState, null);
  }

  @Test
  void unreachableDatabasesAreUnavailable() {
    assertThat(DatabaseFailures.unreachable(new ConnectException("Connection refused"))).isTrue();
    assertThat(DatabaseFailures.unreachable(ClosedConnectionException.INSTANCE)).isTrue();
    assertThat(DatabaseFailures.unreachable(new ConnectionPoolTooBusyException("busy"))).isTrue();
    assertThat(DatabaseFailures.unreachable(new TimeoutException("pool wait"))).isTrue();
    assertThat(DatabaseFailures.unreachable(pg("08006"))).as("connection failure").isTrue();
    assertThat(DatabaseFailures.unreachable(pg("57P01"))).as("admin shutdown").isTrue();
    assertThat(DatabaseFailures.unreachable(pg("53300"))).as("too many connections").isTrue();
    assertThat(DatabaseFailures.unreachable(pg("57014"))).as("a statement cancelled after its timeout").isTrue();
    assertThat(DatabaseFailures.unreachable(new UserStore.Unavailable("statement timed out"))).isTrue();
    assertThat(DatabaseFailures.unreachable(new VertxException("Connection is not active now, current status: CLOSED")))
        .as("a statement on a pooled connection the server closed").isTrue();
    assertThat(DatabaseFailures.unreachable(new VertxException("wrapped", new ConnectException("refused")))).isTrue();
  }

  @Test
  void eachIsNamedForTheHealthEntryAndTheLog() {
    assertThat(DatabaseFailures.unavailableReason(new UserStore.Unavailable("statement timed out after 2500 ms")))
        .isEqualTo("statement timed out after 2500 ms");
    assertThat(DatabaseFailures.unavailableReason(new PgException("the database system is shutting down", "FATAL",
        "57P03", null))).isEqualTo("PostgreSQL error 57P03: the database system is shutting down");
    assertThat(DatabaseFailures.unavailableReason(new ConnectException("Connection refused")))
        .isEqualTo("connection refused");
    assertThat(DatabaseFailures.unavailableReason(ClosedConnectionException.INSTANCE)).isEqualTo("connection closed");
    assertThat(DatabaseFailures.unavailableReason(new java.nio.channels.ClosedChannelException()))
        .isEqualTo("connection closed");
    assertThat(DatabaseFailures.unavailableReason(new ConnectionPoolTooBusyException("busy")))
        .isEqualTo("connection pool queue full");
    assertThat(DatabaseFailures.unavailableReason(new TimeoutException("pool wait"))).isEqualTo("timed out");
    assertThat(DatabaseFailures.unavailableReason(
        new VertxException("Connection is not active now, current status: CLOSED"))).isEqualTo("connection closed");
    assertThat(DatabaseFailures.unavailableReason(new java.net.SocketException("Connection reset")))
        .isEqualTo("connection failed (SocketException)");
    // The first cause in the chain that says something decides.
    assertThat(DatabaseFailures.unavailableReason(new VertxException("wrapped", new ConnectException("refused"))))
        .isEqualTo("connection refused");
    // A PostgreSQL error decides for itself: one that is not about availability ends the search.
    assertThat(DatabaseFailures.unavailableReason(new VertxException("wrapped", pg("42P01")))).isNull();
    // Only a bare "not active" VertxException is a closed connection; one with a cause is read by its cause.
    assertThat(DatabaseFailures.unavailableReason(new VertxException("Connection is not active now",
        new IllegalStateException("bug")))).isNull();
    assertThat(DatabaseFailures.unavailableReason(new VertxException((String) null))).isNull();
    assertThat(DatabaseFailures.unavailableReason(new PgException("no state", "ERROR", null, null))).isNull();
  }

  @Test
  void everythingElseIsUnexpected() {
    assertThat(DatabaseFailures.unreachable(pg("42P01"))).as("undefined table").isFalse();
    assertThat(DatabaseFailures.unreachable(pg("22001"))).as("value too long").isFalse();
    assertThat(DatabaseFailures.unreachable(new IllegalStateException("bug"))).isFalse();
    assertThat(DatabaseFailures.unreachable(new NullPointerException())).isFalse();
  }
}
