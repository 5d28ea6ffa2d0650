package dev.registerservice.storage;

import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.sql.SQLException;
import java.util.concurrent.TimeoutException;

/**
 * The one place that decides whether a database failure means "the database is not there now" (the client
 * gets 503 with Retry-After, nothing is logged per request) and names it for the health entry and the log.
 * By type and SQLSTATE class, from the reactive client ({@link PgException}) and from JDBC ({@link SQLException},
 * the schema migrations) alike. A failure to get a connection from the pool is classified where it happens
 * ({@link BoundedQueries}): whatever its type, it means no connection. One failure has no type of its own in
 * vertx-sql-client 5.0.7 and is recognised by its message: a statement sent on a pooled connection the server
 * has closed meanwhile (a stop or restart) fails with a bare {@code VertxException("Connection is not active
 * now, current status: CLOSED")}.
 */
final class DatabaseFailures {
  private static final String NOT_ACTIVE = "Connection is not active now";

  private DatabaseFailures() {
  }

  /** A short reason when {@code failure} means the database cannot be used now; null when it is unexpected. */
  static String unavailableReason(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof UserStore.Unavailable) {
        return t.getMessage();
      }
      if (t instanceof PgException pg && pg.getSqlState() != null) {
        return unavailableState(pg.getSqlState()) ? "PostgreSQL error " + pg.getSqlState() + ": " + pg.getErrorMessage()
            : null;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        return unavailableState(sql.getSQLState()) ? "PostgreSQL error " + sql.getSQLState() + ": " + sql.getMessage()
            : null;
      }
      if (t instanceof ConnectException) {
        return "connection refused";
      }
      if (t instanceof ClosedConnectionException || t instanceof ClosedChannelException) {
        return "connection closed";
      }
      if (t instanceof ConnectionPoolTooBusyException) {
        return "connection pool queue full";
      }
      if (t instanceof TimeoutException) {
        return "timed out";
      }
      if (t instanceof VertxException vertx && vertx.getCause() == null && vertx.getMessage() != null
          && vertx.getMessage().startsWith(NOT_ACTIVE)) {
        return "connection closed";
      }
      if (t instanceof IOException) {
        return "connection failed (" + t.getClass().getSimpleName() + ")";
      }
    }
    return null;
  }

  /**
   * 08: connection exception; 53: insufficient resources; 57P01-57P03: shutting down, cannot connect now;
   * 57014: a statement we cancelled after its timeout.
   */
  private static boolean unavailableState(String state) {
    return state.startsWith("08") || state.startsWith("53") || state.startsWith("57P") || state.equals("57014");
  }

  /** True for failures that mean "the database is not there now". */
  static boolean unreachable(Throwable failure) {
    return unavailableReason(failure) != null;
  }
}
