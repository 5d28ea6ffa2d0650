package dev.registerservice.storage;

import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/**
 * The {@code users} table. Uniqueness of usernames and emails, ignoring case, is the database's job: two
 * unique indexes on {@code lower(...)}, so of two concurrent registrations of one name exactly one commits,
 * whatever the timing. Nothing here checks before inserting; a lookup after a conflict only names the field.
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
  /**
   * A conflict on either unique index inserts nothing and returns no row, rather than failing: a taken name
   * is an expected answer, not an error for PostgreSQL's log. A concurrent insert of the same name makes
   * this one wait for it to commit or roll back, so exactly one of them returns an id.
   */
  private static final String INSERT = "INSERT INTO users (username, email, password_hash, country)"
      + " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id";
  /** Only after a conflict, to name the field: which of the two is taken (the username if both are). */
  private static final String TAKEN = "SELECT lower(username) = lower($1) AS username_taken FROM users"
      + " WHERE lower(username) = lower($1) OR lower(email) = lower($2) ORDER BY 1 DESC LIMIT 1";
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
        .recover(UserStore::classify)
        .compose(rows -> {
          if (rows.size() == 1) {
            return Future.succeededFuture(rows.iterator().next().getLong("id"));
          }
          return pool.preparedQuery(TAKEN).execute(Tuple.of(username, email))
              .recover(UserStore::classify)
              .compose(taken -> {
                boolean emailTaken = taken.size() == 1 && !taken.iterator().next().getBoolean("username_taken");
                return Future.failedFuture(new Duplicate(emailTaken ? "email" : "username"));
              });
        });
  }

  private static <T> Future<T> classify(Throwable failure) {
    if (failure instanceof PgException && UNIQUE_VIOLATION.equals(((PgException) failure).getSqlState())) {
      String constraint = ((PgException) failure).getConstraint();
      return Future.failedFuture(new Duplicate(constraint != null && constraint.contains("email") ? "email"
          : "username"));
    }
    return Future.failedFuture(new Unavailable(failure.toString()));
  }
}
