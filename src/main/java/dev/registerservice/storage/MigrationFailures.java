package dev.registerservice.storage;

import java.sql.SQLException;
import java.util.Arrays;
import java.util.Set;
import org.flywaydb.core.api.CoreErrorCode;
import org.flywaydb.core.api.ErrorCode;
import org.flywaydb.core.api.FlywayException;

/**
 * The verdict on a failed migration: whether trying again a second later may pass, and the failure's words on
 * one line. By SQLSTATE and Flyway's error code, never by message text.
 */
final class MigrationFailures {
  /** Failures that a later attempt cannot change: the scripts, the history or the schema must be fixed first. */
  private static final Set<ErrorCode> FINAL = Set.of(CoreErrorCode.FAILED_VERSIONED_MIGRATION,
      CoreErrorCode.FAILED_REPEATABLE_MIGRATION, CoreErrorCode.FAILED_BASELINE_MIGRATION,
      CoreErrorCode.VALIDATE_ERROR, CoreErrorCode.CHECKSUM_MISMATCH, CoreErrorCode.DESCRIPTION_MISMATCH,
      CoreErrorCode.TYPE_MISMATCH, CoreErrorCode.APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED,
      CoreErrorCode.APPLIED_REPEATABLE_MIGRATION_NOT_RESOLVED, CoreErrorCode.RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED,
      CoreErrorCode.NON_EMPTY_SCHEMA_WITHOUT_SCHEMA_HISTORY_TABLE, CoreErrorCode.DUPLICATE_VERSIONED_MIGRATION,
      CoreErrorCode.DUPLICATE_REPEATABLE_MIGRATION, CoreErrorCode.CONFIGURATION);

  private MigrationFailures() {
  }

  /**
   * A database that cannot be used now ({@link DatabaseFailures}: a lost or refused connection, PostgreSQL
   * shutting down or starting, too many connections) may come back, and so may a script that lost a deadlock
   * or a lock wait (SQLSTATE class 40, 55P03); a statement PostgreSQL refused otherwise, or a final Flyway
   * verdict, will not change; anything else (the advisory lock not obtained in time, ...) is tried again.
   */
  static boolean retryable(FlywayException e) {
    if (DatabaseFailures.unreachable(e)) {
      return true;
    }
    SQLException refused = refusedStatement(e);
    if (refused != null) {
      return refused.getSQLState().startsWith("40") || refused.getSQLState().equals("55P03");
    }
    return !FINAL.contains(e.getErrorCode());
  }

  /** The first SQLException with an SQLSTATE in the cause chain (what PostgreSQL answered), or null. */
  static SQLException refusedStatement(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        return sql;
      }
    }
    return null;
  }

  /** Flyway's messages span lines (a banner, dashes, the statement): one line for a log or the readiness reason. */
  static String oneLine(String message) {
    if (message == null) {
      return "";
    }
    return String.join("; ", Arrays.stream(message.split("\\R")).map(String::strip)
        .filter(line -> !line.isEmpty() && !line.chars().allMatch(c -> c == '-')).toList());
  }
}
