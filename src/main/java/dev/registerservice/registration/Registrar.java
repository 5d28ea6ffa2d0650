package dev.registerservice.registration;

import dev.registerservice.storage.Database;
import dev.registerservice.storage.UserStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

/**
 * Registers a validated user: hashes the password on the {@link HashingPool}, then inserts the row. The
 * database's health is checked first, so no hashing is spent while it is known down; so is the submission
 * token, so that a repeat of a request that already created its user costs no hash. A username already held
 * by a row with the same email and country whose hash the password verifies against is this registration,
 * stored by an earlier attempt whose answer was lost (or sent twice): answered as a repeat, not as taken.
 * Fails with {@link HashingPool.Overloaded}, {@link UserStore.Unavailable}, {@link UserStore.OutcomeUnknown},
 * {@link UserStore.Duplicate}, {@link UserStore.TokenReused}, or anything unexpected as it came.
 */
public final class Registrar {
  private final HashingPool hashing;
  private final Database database;

  public Registrar(HashingPool hashing, Database database) {
    this.hashing = hashing;
    this.database = database;
  }

  /**
   * Completes on {@code context} once the row is committed, or with the user an earlier request with the same
   * {@code token} (null: none) created.
   */
  public Future<UserStore.Stored> register(Context context, Registration registration, SubmissionToken token) {
    UserStore store;
    try {
      store = database.store();
    } catch (UserStore.Unavailable e) {
      return Future.failedFuture(e);
    }
    String stored = token == null ? null : token.stored();
    String fingerprint = RequestFingerprint.of(registration);
    Future<UserStore.Stored> earlier = stored == null ? Future.succeededFuture()
        : store.replay(stored, fingerprint);
    Future<UserStore.Stored> done = earlier.compose(first -> first != null ? Future.succeededFuture(first)
        : hashing.hash(context, registration.password()).compose(hash -> store.insert(registration.username(),
            registration.email(), hash, registration.country(), stored, fingerprint)))
        .recover(failure -> failure instanceof UserStore.Duplicate taken && taken.sameFields() != null
            ? hashing.verify(context, taken.sameFields().passwordHash(), registration.password())
                .compose(same -> same ? Future.succeededFuture(taken.sameFields().stored()) : Future.failedFuture(taken))
            : Future.failedFuture(failure));
    Promise<UserStore.Stored> onContext = Promise.promise();
    done.onComplete(result -> {
      if (result.failed() && result.cause() instanceof UserStore.Unavailable) {
        database.suspect();
      }
      context.runOnContext(v -> onContext.handle(result));
    });
    return onContext.future();
  }
}
