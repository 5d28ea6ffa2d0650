package dev.registerservice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.registerservice.testing.TestDatabase;
import io.vertx.pgclient.PgConnectOptions;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The schema's versions on a real PostgreSQL, each test on a database of its own: an empty one gets version 1,
 * a second run changes nothing, a database of a build before migrations is adopted with its rows, a later
 * release's script applies once or fails naming itself with nothing changed, a schema that is not ours is not
 * touched, and racing runs make one schema. Bound: each test within 60 s (a migration takes well under 1 s).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MigrationsTest {
  /** What every build before versioned migrations ran at each start (UserStore.MIGRATION, last in 1bf0767). */
  static final String[] BEFORE_MIGRATIONS = {
      """
      CREATE TABLE IF NOT EXISTS users (
        id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        username      TEXT NOT NULL,
        email         TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        country       CHAR(2) NOT NULL,
        created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
      )""",
      "CREATE UNIQUE INDEX IF NOT EXISTS users_username_lower_key ON users (lower(username))",
      "CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON users (lower(email))",
      """
      CREATE TABLE IF NOT EXISTS submissions (
        token      TEXT PRIMARY KEY,
        user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )""",
      "ALTER TABLE submissions ADD COLUMN IF NOT EXISTS fingerprint TEXT",
  };
  private static final String NEXT_RELEASE = "classpath:migrations/next-release/db/migration";
  private static final String NEXT_RELEASE_FAILS = "classpath:migrations/next-release-fails/db/migration";

  private final TestDatabase server = TestDatabase.shared();

  @Test
  void anEmptyDatabaseGetsVersionOneAndASecondRunChangesNothing() throws Exception {
    String database = server.newDatabase("mig_empty");
    Migrations migrations = new Migrations(dataSource(database));

    Migrations.Outcome first = migrations.migrate();
    assertThat(first).isEqualTo(new Migrations.Outcome("1", List.of("V1__users_and_submissions.sql"), false));
    assertThat(first.describe()).isEqualTo("schema at version 1, applied V1__users_and_submissions.sql");
    Migrations.Outcome second = migrations.migrate();
    assertThat(second).isEqualTo(new Migrations.Outcome("1", List.of(), false));
    assertThat(second.describe()).isEqualTo("schema at version 1, nothing to migrate");
    assertThat(history(database)).containsExactly("1 SQL V1__users_and_submissions.sql true");
    assertThat(tables(database)).containsExactly("flyway_schema_history", "submissions", "users");
  }

  @Test
  void aDatabaseOfABuildBeforeMigrationsIsAdoptedWithItsRowsAndThenMigratedOnward() throws Exception {
    String database = server.newDatabase("mig_adopt");
    execute(database, BEFORE_MIGRATIONS);
    execute(database, "INSERT INTO users (username, email, password_hash, country) VALUES ('Ada', 'ada@example.com',"
        + " 'hash', 'GB')",
        "INSERT INTO submissions (token, user_id, fingerprint) SELECT 'token-1', id, 'f' FROM users");

    Migrations.Outcome adopted = new Migrations(dataSource(database)).migrate();
    assertThat(adopted).isEqualTo(new Migrations.Outcome("1", List.of(), true));
    assertThat(adopted.describe())
        .isEqualTo("schema at version 1 (adopted: made by a build before migrations), nothing to migrate");
    assertThat(history(database)).containsExactly("1 BASELINE schema of a build before migrations true");
    assertThat(rows(database,
        "SELECT username || ' ' || s.token FROM users JOIN submissions s ON s.user_id = users.id"))
        .containsExactly("Ada token-1");

    Migrations.Outcome next = new Migrations(dataSource(database), Migrations.LOCATION, NEXT_RELEASE).migrate();
    assertThat(next).isEqualTo(new Migrations.Outcome("2", List.of("V2__users_nickname.sql"), false));
    assertThat(history(database)).containsExactly("1 BASELINE schema of a build before migrations true",
        "2 SQL V2__users_nickname.sql true");
    assertThat(rows(database, "SELECT username || ' ' || coalesce(nickname, 'none') FROM users"))
        .containsExactly("Ada none");
  }

  @Test
  void aLaterScriptThatFailsNamesItselfAndChangesNothing() throws Exception {
    String database = server.newDatabase("mig_fails");
    new Migrations(dataSource(database)).migrate();
    execute(database, "INSERT INTO users (username, email, password_hash, country) VALUES ('Ada', 'ada@example.com',"
        + " 'hash', 'GB')");

    Migrations next = new Migrations(dataSource(database), Migrations.LOCATION, NEXT_RELEASE_FAILS);
    assertThatThrownBy(next::migrate).isInstanceOf(Migrations.Failed.class)
        .hasMessage("V2__nickname_required.sql failed: ERROR: column \"nickname\" of relation \"users\" contains null"
            + " values (SQLSTATE 23502)");
    assertThat(history(database)).containsExactly("1 SQL V1__users_and_submissions.sql true");
    assertThat(rows(database, "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
        + " AND column_name = 'nickname'")).isEmpty();
    assertThat(rows(database, "SELECT username FROM users")).containsExactly("Ada");
  }

  @Test
  void aSchemaWithOtherTablesAndNoHistoryIsNotTouched() throws Exception {
    String database = server.newDatabase("mig_other");
    execute(database, "CREATE TABLE invoices (id INT PRIMARY KEY)");

    assertThatThrownBy(new Migrations(dataSource(database))::migrate).isInstanceOf(Migrations.Failed.class)
        .hasMessage("the schema holds tables [invoices] but no migration history, and not this service's tables"
            + " (users [country, created_at, email, id, password_hash, username]): give the service an empty database,"
            + " or one of its own");
    assertThat(tables(database)).containsExactly("invoices");
  }

  @Test
  void aSchemaWithOnlySomeOfTheOldTablesIsNotAdopted() throws Exception {
    String database = server.newDatabase("mig_partial");
    execute(database, BEFORE_MIGRATIONS[0]);

    assertThatThrownBy(new Migrations(dataSource(database))::migrate).isInstanceOf(Migrations.Failed.class)
        .hasMessageStartingWith("the schema holds tables [users] but no migration history");
    assertThat(tables(database)).containsExactly("users");
  }

  @Test
  void racingRunsOnOneEmptyDatabaseMakeOneSchema() throws Exception {
    String database = server.newDatabase("mig_race");
    int runs = 4;
    CyclicBarrier start = new CyclicBarrier(runs);
    ExecutorService pool = Executors.newFixedThreadPool(runs);
    try {
      List<Future<Migrations.Outcome>> outcomes = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        Migrations migrations = new Migrations(dataSource(database));
        outcomes.add(pool.submit((Callable<Migrations.Outcome>) () -> {
          start.await();
          return migrations.migrate();
        }));
      }
      int applied = 0;
      for (Future<Migrations.Outcome> outcome : outcomes) {
        Migrations.Outcome done = outcome.get(50, TimeUnit.SECONDS);
        assertThat(done.version()).isEqualTo("1");
        applied += done.applied().size();
      }
      assertThat(applied).as("runs that applied V1").isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(history(database)).containsExactly("1 SQL V1__users_and_submissions.sql true");
  }

  @Test
  void aDatabaseThatCannotBeReachedIsTriedAgain() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    Migrations unreachable = new Migrations(Migrations.dataSource(
        PgConnectOptions.fromUri("postgresql://postgres@localhost:" + closed + "/postgres"), 1_000, 10));
    assertThatThrownBy(unreachable::migrate).isInstanceOf(FlywayException.class)
        .isNotInstanceOf(Migrations.Failed.class)
        .hasMessageContaining("Connection to localhost:" + closed + " refused");

  }

  private DataSource dataSource(String database) {
    return Migrations.dataSource(PgConnectOptions.fromUri(server.url(database)), 1_000, 30);
  }

  private void execute(String database, String... statements) throws SQLException {
    try (Connection connection = TestDatabase.connect(server.port(), database);
        Statement sql = connection.createStatement()) {
      for (String statement : statements) {
        sql.execute(statement);
      }
    }
  }

  private List<String> rows(String database, String query) {
    return server.rows(database, query);
  }

  private List<String> history(String database) throws SQLException {
    return rows(database, "SELECT version || ' ' || type || ' ' || script || ' ' || success"
        + " FROM flyway_schema_history ORDER BY installed_rank");
  }

  private List<String> tables(String database) throws SQLException {
    return rows(database, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        + " ORDER BY table_name");
  }
}
