package dev.registerservice.storage;

import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

/**
 * The {@code users} table. Uniqueness of usernames and emails, ignoring case, is the database's job: two
 * unique indexes on {@code lower(...)}, so of two concurrent registrations of one name exactly one commits,
 * whatever the timing. Nothing here checks before inserting.
 */
public final class UserStore {
  /** Idempotent: every start runs it; concurrent starts may race, and a failed run is retried. */
  static final String[] MIGRATION = {
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
  };
  private static final String INSERT = "INSERT INTO users (username, email, password_hash, country)"
      + " VALUES ($1, $2, $3, $4) RETURNING id";
  private static final String UNIQUE_VIOLATION = "23505";

  /** The username or email is taken; {@code field} says which. */
  public static final class Duplicate extends RuntimeException {
    private final String field;

    Duplicate(String field) {
      super(field + " already registered", null, false, false);
      this.field = field;
    }

    public String field() {
      return field;
    }
  }

  /** The database cannot be reached or is not ready: the caller answers 503. */
  public static final class Unavailable extends RuntimeException {
    public Unavailable(String message) {
      super(message, null, false, false);
    }
  }

  private final Pool pool;

  UserStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Inserts one user and completes with its id once the row is committed (autocommit, synchronous commit).
   * Fails with {@link Duplicate} for a taken username or email, {@link Unavailable} for anything else.
   */
  public Future<Long> insert(String username, String email, String passwordHash, String country) {
    return pool.preparedQuery(INSERT)
        .execute(Tuple.of(username, email, passwordHash, country))
        .map(rows -> {
          Row row = rows.iterator().next();
          return row.getLong("id");
        })
        .recover(UserStore::classify);
  }

  private static Future<Long> classify(Throwable failure) {
    if (failure instanceof PgException && UNIQUE_VIOLATION.equals(((PgException) failure).getSqlState())) {
      String constraint = ((PgException) failure).getConstraint();
      return Future.failedFuture(new Duplicate(constraint != null && constraint.contains("email") ? "email"
          : "username"));
    }
    return Future.failedFuture(new Unavailable(failure.toString()));
  }
}
