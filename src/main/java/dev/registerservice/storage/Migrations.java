package dev.registerservice.storage;

import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The schema's versions: Flyway's scripts in {@code db/migration} ({@code V1__users_and_submissions.sql}, ...),
 * each applied once, recorded with its checksum in {@code flyway_schema_history}, under PostgreSQL's advisory
 * lock, so that of several replicas starting at once one migrates while the others wait, then find nothing
 * left to do. Runs over JDBC on the calling thread (the database's start thread, never an event loop).
 *
 * <p>A database made by a build before migrations (the same tables, no history) is adopted as version 1
 * without running its script. One whose schema holds other tables and no history is not touched.
 */
final class Migrations {
  static final String LOCATION = "classpath:db/migration";
  /** The tables and columns that the builds before migrations made at every start. */
  private static final List<Map.Entry<String, Set<String>>> BEFORE_MIGRATIONS = List.of(
      Map.entry("users", Set.of("id", "username", "email", "password_hash", "country", "created_at")),
      Map.entry("submissions", Set.of("token", "user_id", "created_at", "fingerprint")));

  /**
   * What a run found and did, for the one "Database ready" line.
   *
   * @param version the schema's version now
   * @param applied the scripts this run applied, in order
   * @param adopted the database was made by a build before migrations and is now version 1
   */
  record Outcome(String version, List<String> applied, boolean adopted) {
    String describe() {
      String now = "schema at version " + version;
      if (adopted) {
        now += " (adopted: made by a build before migrations)";
      }
      return applied.isEmpty() ? now + ", nothing to migrate" : now + ", applied " + String.join(", ", applied);
    }
  }

  /** A migration that trying again cannot mend: a script failed, the history and the scripts disagree. */
  static final class Failed extends RuntimeException {
    Failed(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  private final DataSource dataSource;
  private final Flyway flyway;

  Migrations(DataSource dataSource) {
    this(dataSource, LOCATION);
  }

  /** @param locations where the scripts are: {@link #LOCATION}, and in a test a later release's scripts too */
  Migrations(DataSource dataSource, String... locations) {
    this.dataSource = dataSource;
    this.flyway = Flyway.configure(Migrations.class.getClassLoader())
        .dataSource(dataSource)
        .locations(locations)
        .failOnMissingLocations(true)
        .baselineVersion("1")
        .baselineDescription("schema of a build before migrations")
        .connectRetries(0)
        .load();
  }

  /**
   * The database of {@code connect} over JDBC: its host, port, database, user, password and SSL mode.
   *
   * @param statementSeconds how long a statement may wait for its answer (pgjdbc's socket timeout): a database
   *     that stops answering mid-migration fails the attempt rather than holding the start forever
   */
  static DataSource dataSource(PgConnectOptions connect, int connectTimeoutMillis, int statementSeconds) {
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {connect.getHost()});
    source.setPortNumbers(new int[] {connect.getPort()});
    source.setDatabaseName(connect.getDatabase());
    source.setUser(connect.getUser());
    source.setPassword(connect.getPassword());
    SslMode ssl = connect.getSslMode();
    source.setSslMode(ssl == null ? SslMode.DISABLE.value : ssl.value);
    source.setConnectTimeout(Math.max(1, (connectTimeoutMillis + 999) / 1_000));
    source.setSocketTimeout(statementSeconds);
    source.setTcpKeepAlive(true);
    source.setApplicationName("register-service migrations");
    return source;
  }

  /**
   * Brings the schema to the newest version. Fails with {@link Failed} when trying again cannot help; any
   * other failure (the database unreachable, restarting, another replica holding the lock too long) may pass.
   */
  Outcome migrate() {
    try {
      boolean adopted = adoptBuildBeforeMigrations();
      MigrateResult result = flyway.migrate();
      List<String> applied = result.migrations.stream().map(m -> m.filepath.substring(m.filepath.lastIndexOf('/') + 1))
          .toList();
      MigrationInfo current = flyway.info().current();
      return new Outcome(current == null ? "none" : current.getVersion().toString(), applied, adopted);
    } catch (FlywayException e) {
      if (MigrationFailures.retryable(e)) {
        throw e;
      }
      throw new Failed(describe(e), e);
    } catch (SQLException e) {
      if (DatabaseFailures.unreachable(e)) {
        throw new FlywayException("cannot read the schema: " + MigrationFailures.oneLine(e.getMessage()), e);
      }
      throw new Failed("reading the schema: " + MigrationFailures.oneLine(e.getMessage()), e);
    }
  }

  /**
   * True when the database has no migration history but holds the tables a build before migrations made:
   * then version 1 is recorded as the baseline and its script is not run. Fails when the schema holds other
   * tables (or only some of those columns) with no history: that database is not this service's to change.
   */
  private boolean adoptBuildBeforeMigrations() throws SQLException {
    Map<String, Set<String>> tables = new TreeMap<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement("SELECT table_name, column_name"
            + " FROM information_schema.columns WHERE table_schema = current_schema()");
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        tables.computeIfAbsent(rows.getString(1), t -> new TreeSet<>()).add(rows.getString(2));
      }
    }
    if (tables.isEmpty() || tables.containsKey("flyway_schema_history")) {
      return false;
    }
    for (Map.Entry<String, Set<String>> table : BEFORE_MIGRATIONS) {
      Set<String> found = tables.get(table.getKey());
      if (found == null || !found.containsAll(table.getValue())) {
        throw new Failed("the schema holds tables " + tables.keySet() + " but no migration history, and not this"
            + " service's tables (" + table.getKey() + " " + new TreeSet<>(table.getValue()) + "): give the service"
            + " an empty database, or one of its own", null);
      }
    }
    flyway.baseline();
    return true;
  }

  /**
   * A statement PostgreSQL refused: the script it was in (the first one not applied) and PostgreSQL's own
   * words; any other verdict (a checksum that no longer matches, ...): Flyway's, on one line.
   */
  private String describe(FlywayException e) {
    SQLException refused = MigrationFailures.refusedStatement(e);
    if (refused == null) {
      return MigrationFailures.oneLine(e.getMessage());
    }
    String script;
    try {
      MigrationInfo[] pending = flyway.info().pending();
      script = pending.length == 0 ? "a migration" : pending[0].getScript();
    } catch (FlywayException unreadable) {
      script = "a migration";
    }
    return script + " failed: " + MigrationFailures.oneLine(refused.getMessage()) + " (SQLSTATE "
        + refused.getSQLState() + ")";
  }
}
