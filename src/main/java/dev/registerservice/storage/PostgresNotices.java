package dev.registerservice.storage;

import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgNotice;
import io.vertx.sqlclient.SqlConnection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * PostgreSQL's notices to our connections, logged at the level their severity deserves and once per kind:
 * a {@code WARNING} at WARN, a {@code NOTICE} at INFO, the rest ({@code INFO}, {@code LOG}, {@code DEBUG}) at
 * DEBUG; each SQLSTATE code once per process at that level, then at DEBUG. Without a handler of its own the
 * reactive client logs every notice at WARN ("Backend notice: ..."), so an expected "already exists, skipping"
 * would read as a problem at every start.
 */
final class PostgresNotices {
  private static final Logger log = LogManager.getLogger(PostgresNotices.class);
  /** Kinds already logged at their level; more kinds than this are all logged at DEBUG. */
  private static final int KINDS = 64;
  private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

  private PostgresNotices() {
  }

  /** Routes {@code connection}'s notices here: a pool's connect handler, or a connection of our own. */
  static void handle(SqlConnection connection) {
    PgConnection.cast(connection).noticeHandler(PostgresNotices::log);
  }

  static Level level(String severity) {
    return switch (severity == null ? "" : severity) {
      case "WARNING" -> Level.WARN;
      case "NOTICE" -> Level.INFO;
      default -> Level.DEBUG;
    };
  }

  private static void log(PgNotice notice) {
    Level level = level(notice.getSeverity());
    boolean first = SEEN.size() < KINDS && SEEN.add(notice.getSeverity() + " " + notice.getCode());
    log.log(first ? level : Level.DEBUG, "PostgreSQL {} {}: {}{}", notice.getSeverity(), notice.getCode(),
        notice.getMessage(), first ? " (logged once; later ones of this code at DEBUG)" : "");
  }
}
