package dev.registerservice.storage;

import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/**
 * The {@code users} table and the {@code submissions} that created them. Uniqueness of usernames and emails,
 * ignoring case, is the database's job: two unique indexes on {@code lower(...)}, so of two concurrent
 * registrations of one name exactly one commits, whatever the timing. Nothing here checks before inserting;
 * a lookup after a conflict only names the field.
 *
 * <p>A submission token (the form's one-time token, or a JSON client's {@code Idempotency-Key}) is stored in
 * the same statement as the user it created, as the primary key of {@code submissions}. So a repeat of a
 * request, during the first or after it, on any replica, finds the user the first one created and is answered
 * the same way, and a token can never create two users.
 */
public final class UserStore {
  /**
   * A conflict on either unique index inserts nothing and returns no row, rather than failing: a taken name
   * is an expected answer, not an error for PostgreSQL's log. A concurrent insert of the same name makes
   * this one wait for it to commit or roll back, so exactly one of them returns an id.
   */
  private static final String INSERT = "INSERT INTO users (username, email, password_hash, country)"
      + " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id";
  /**
   * The same, with the submission token in the same statement (one transaction): a token already taken by a
   * committed or concurrent insert fails the whole statement with a unique violation on
   * {@code submissions_pkey}, and the user row is rolled back with it.
   */
  private static final String INSERT_WITH_TOKEN = "WITH u AS (" + INSERT + "),"
      + " s AS (INSERT INTO submissions (token, user_id, fingerprint) SELECT $5::text, id, $6::text FROM u"
      + " RETURNING user_id)"
      + " SELECT id FROM u";
  private static final String SUBMISSION = "SELECT u.id, u.username, s.fingerprint FROM submissions s JOIN users u"
      + " ON u.id = s.user_id WHERE s.token = $1";
  /**
   * Only after a conflict, to name the field: which of the two is taken (the username if both are), and the
   * row that holds the username, which may be this very registration stored by an attempt whose answer was lost.
   */
  private static final String TAKEN = "SELECT id, username, lower(username) = lower($1) AS username_taken,"
      + " lower(email) = lower($2) AS email_same, country = $3 AS country_same, password_hash FROM users"
      + " WHERE lower(username) = lower($1) OR lower(email) = lower($2) ORDER BY 3 DESC LIMIT 1";
  private static final String UNIQUE_VIOLATION = "23505";
  private static final String SUBMISSIONS_KEY = "submissions_pkey";

  /** A user row: its id and username; {@code replayed} when an earlier request with the same token made it. */
  public record Stored(long id, String username, boolean replayed) {
  }

  /**
   * The username or email is taken; {@code field} says which. {@code sameFields} is the row holding the
   * username when it also has this request's email and country: the same registration, if the password
   * verifies against its hash (the caller checks; a stored row says nothing about the password otherwise).
   */
  public static final class Duplicate extends RuntimeException {
    private final String field;
    private final Holder sameFields;

    Duplicate(String field, Holder sameFields) {
      super(field + " already registered", null, false, false);
      this.field = field;
      this.sameFields = sameFields;
    }

    public String field() {
      return field;
    }

    /** The row with this request's username, email and country, or null. */
    public Holder sameFields() {
      return sameFields;
    }
  }

  /** A stored user that may be this request's own: its answer, and the hash its password must verify against. */
  public record Holder(Stored stored, String passwordHash) {
  }

  /**
   * The COMMIT was sent and its answer never came (lost, late, or the connection went): the registration may
   * be stored or not, and only PostgreSQL knows. A retry with the same submission token finds it if it is;
   * without a token, a retry with the same fields and password is recognised as the same registration.
   */
  public static final class OutcomeUnknown extends RuntimeException {
    public OutcomeUnknown(String message) {
      super(message, null, false, false);
    }

    OutcomeUnknown(Throwable cause) {
      super("commit sent, its answer lost: " + cause, cause, false, false);
    }
  }

  /** The submission token already created a user, for a request with other contents. */
  public static final class TokenReused extends RuntimeException {
    TokenReused() {
      super("submission token already used for a different request", null, false, false);
    }
  }

  /** The database cannot be reached or is not ready: the caller answers 503. The cause, if any, is kept. */
  public static final class Unavailable extends RuntimeException {
    public Unavailable(String message) {
      super(message, null, false, false);
    }

    Unavailable(Throwable cause) {
      super("database not reachable: " + cause, cause, false, false);
    }
  }

  private final BoundedQueries queries;

  UserStore(BoundedQueries queries) {
    this.queries = queries;
  }

  /**
   * A registration's statements, run once on {@code queries} (a {@link BoundedQueries#rehearsal}: the insert
   * rolled back) through the same code as a user's, so that their classes and first compilations are not paid
   * under a user's request: an insert with a token, and a lookup of that token.
   */
  static Future<Void> rehearse(BoundedQueries queries) {
    UserStore store = new UserStore(queries);
    String token = "rehearsal-" + java.util.UUID.randomUUID();
    return store.insert("rehearsal " + token, token + "@rehearsal.invalid", "not a hash", "ZZ", token, "rehearsal")
        .compose(stored -> store.replay(token, "rehearsal")).mapEmpty();
  }

  /**
   * The user an earlier request with {@code token} created, or null if none did. Fails with
   * {@link TokenReused} when that request differed ({@code fingerprint}: a hash of what it asked for).
   */
  public Future<Stored> replay(String token, String fingerprint) {
    return queries.read(c -> c.preparedQuery(SUBMISSION).execute(Tuple.of(token)))
        .recover(UserStore::classify)
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture();
          }
          Row row = rows.iterator().next();
          String asked = row.getString("fingerprint");
          // A token stored before fingerprints were kept (null) is taken as matching.
          if (asked != null && !asked.equals(fingerprint)) {
            return Future.failedFuture(new TokenReused());
          }
          return Future.succeededFuture(new Stored(row.getLong("id"), row.getString("username"), true));
        });
  }

  /**
   * Inserts one user (and its submission token and the request's fingerprint, if the token is not null) and
   * completes once the row is committed (synchronous commit). A repeat of the token completes with the first
   * request's user, {@code replayed}. Fails with {@link Duplicate} for a taken username or email,
   * {@link TokenReused}, {@link Unavailable} when the database cannot be used now (nothing stored),
   * {@link OutcomeUnknown} when the commit's answer was lost (stored or not), or the database's own error for
   * anything else.
   */
  public Future<Stored> insert(String username, String email, String passwordHash, String country, String token,
      String fingerprint) {
    Future<RowSet<Row>> inserted = queries.write(c -> token == null
        ? c.preparedQuery(INSERT).execute(Tuple.of(username, email, passwordHash, country))
        : c.preparedQuery(INSERT_WITH_TOKEN).execute(Tuple.of(username, email, passwordHash, country, token,
            fingerprint)));
    return inserted
        .recover(failure -> tokenTaken(failure) ? Future.succeededFuture(null) : classify(failure))
        .compose(rows -> {
          if (rows != null && rows.size() == 1) {
            return Future.succeededFuture(new Stored(rows.iterator().next().getLong("id"), username, false));
          }
          if (token == null) {
            return duplicate(username, email, country);
          }
          // Either the token or a unique name was taken: by an earlier request with this token, it's a repeat.
          return replay(token, fingerprint)
              .compose(first -> first != null ? Future.succeededFuture(first) : duplicate(username, email, country));
        });
  }

  private Future<Stored> duplicate(String username, String email, String country) {
    return queries.read(c -> c.preparedQuery(TAKEN).execute(Tuple.of(username, email, country)))
        .recover(UserStore::classify)
        .compose(taken -> {
          Row row = taken.size() == 1 ? taken.iterator().next() : null;
          boolean usernameTaken = row == null || row.getBoolean("username_taken");
          Holder same = row != null && usernameTaken && row.getBoolean("email_same") && row.getBoolean("country_same")
              ? new Holder(new Stored(row.getLong("id"), row.getString("username"), true),
                  row.getString("password_hash"))
              : null;
          return Future.failedFuture(new Duplicate(usernameTaken ? "username" : "email", same));
        });
  }

  private static boolean tokenTaken(Throwable failure) {
    return failure instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState())
        && SUBMISSIONS_KEY.equals(pg.getConstraint());
  }

  /**
   * A unique violation names the field; a database that cannot be used now ({@link DatabaseFailures}) is
   * {@link Unavailable}, cause kept; anything else is unexpected and passes through unchanged, for the caller
   * to log and answer 500.
   */
  private static <T> Future<T> classify(Throwable failure) {
    if (failure instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState())) {
      String constraint = pg.getConstraint();
      return Future.failedFuture(new Duplicate(constraint != null && constraint.contains("email") ? "email"
          : "username", null));
    }
    if (failure instanceof Unavailable || failure instanceof OutcomeUnknown) {
      return Future.failedFuture(failure);
    }
    if (DatabaseFailures.unreachable(failure)) {
      return Future.failedFuture(new Unavailable(failure));
    }
    return Future.failedFuture(failure);
  }
}
