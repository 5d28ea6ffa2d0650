package dev.registerservice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.sql.SQLException;
import org.flywaydb.core.api.CoreErrorCode;
import org.flywaydb.core.api.ErrorCode;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Which failed migrations are tried again, and how a failure reads on one line: by SQLSTATE and error code. */
class MigrationFailuresTest {
  private static FlywayException failed(String sqlState, ErrorCode code) {
    return new FlywayException("failed", new SQLException("PostgreSQL said so", sqlState), code);
  }

  @Test
  void aDatabaseThatIsNotThereNowIsTriedAgainWhateverFlywayCallsIt() {
    assertThat(MigrationFailures.retryable(failed("08001", CoreErrorCode.DB_CONNECTION))).as("refused").isTrue();
    assertThat(MigrationFailures.retryable(failed("08006", CoreErrorCode.FAILED_VERSIONED_MIGRATION)))
        .as("connection lost mid-script").isTrue();
    assertThat(MigrationFailures.retryable(failed("57P01", CoreErrorCode.FAILED_VERSIONED_MIGRATION)))
        .as("the server shut down mid-script").isTrue();
    assertThat(MigrationFailures.retryable(failed("57P03", CoreErrorCode.ERROR))).as("starting").isTrue();
    assertThat(MigrationFailures.retryable(failed("53300", CoreErrorCode.ERROR))).as("too many connections")
        .isTrue();
    assertThat(MigrationFailures.retryable(new FlywayException("no route", new ConnectException("refused"),
        CoreErrorCode.FAILED_VERSIONED_MIGRATION))).as("an I/O failure").isTrue();
  }

  @Test
  void aScriptThatLostADeadlockOrALockWaitIsTriedAgain() {
    assertThat(MigrationFailures.retryable(failed("40P01", CoreErrorCode.FAILED_VERSIONED_MIGRATION))).isTrue();
    assertThat(MigrationFailures.retryable(failed("40001", CoreErrorCode.FAILED_VERSIONED_MIGRATION))).isTrue();
    assertThat(MigrationFailures.retryable(failed("55P03", CoreErrorCode.FAILED_VERSIONED_MIGRATION))).isTrue();
  }

  @Test
  void aStatementPostgresqlRefusedIsFinalWhateverFlywayCallsIt() {
    assertThat(MigrationFailures.retryable(failed("23502", CoreErrorCode.ERROR))).as("null values").isFalse();
    assertThat(MigrationFailures.retryable(failed("42P07", CoreErrorCode.FAILED_VERSIONED_MIGRATION)))
        .as("already exists").isFalse();
    assertThat(MigrationFailures.retryable(failed("55000", CoreErrorCode.ERROR))).as("55 but not 55P03")
        .isFalse();
  }

  @ParameterizedTest
  @EnumSource(value = CoreErrorCode.class, names = {"FAILED_VERSIONED_MIGRATION", "FAILED_REPEATABLE_MIGRATION",
      "FAILED_BASELINE_MIGRATION", "VALIDATE_ERROR", "CHECKSUM_MISMATCH", "DESCRIPTION_MISMATCH", "TYPE_MISMATCH",
      "APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED", "APPLIED_REPEATABLE_MIGRATION_NOT_RESOLVED",
      "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED", "NON_EMPTY_SCHEMA_WITHOUT_SCHEMA_HISTORY_TABLE",
      "DUPLICATE_VERSIONED_MIGRATION", "DUPLICATE_REPEATABLE_MIGRATION", "CONFIGURATION"})
  void flywaysFinalVerdictsWithoutAStatementAreFinal(CoreErrorCode code) {
    assertThat(MigrationFailures.retryable(new FlywayException("verdict", code))).isFalse();
  }

  @ParameterizedTest
  @EnumSource(value = CoreErrorCode.class, names = {"ERROR", "FAULT", "DB_CONNECTION", "CONFIGURATION_RECOVERABLE",
      "JDBC_DRIVER"})
  void anythingElseWithoutAStatementIsTriedAgain(CoreErrorCode code) {
    assertThat(MigrationFailures.retryable(new FlywayException("Unable to acquire PostgreSQL advisory lock", code)))
        .isTrue();
  }

  @Test
  void theRefusedStatementIsTheFirstWithAnSqlstate() {
    SQLException inner = new SQLException("inner", "23505");
    SQLException outer = new SQLException("outer, no state", (String) null, inner);
    assertThat((Object) MigrationFailures.refusedStatement(new FlywayException("x", outer))).isSameAs(inner);
    assertThat((Object) MigrationFailures.refusedStatement(new FlywayException("x"))).isNull();
  }

  @Test
  void flywaysMessagesBecomeOneLine() {
    assertThat(MigrationFailures.oneLine("Migration V2__x.sql failed\n-------------------\nSQL State  : 23502\r\n\n"
        + "  Message    : ERROR: no  "))
        .isEqualTo("Migration V2__x.sql failed; SQL State  : 23502; Message    : ERROR: no");
    assertThat(MigrationFailures.oneLine("- a dash is text")).isEqualTo("- a dash is text");
    assertThat(MigrationFailures.oneLine(null)).isEmpty();
  }
}
