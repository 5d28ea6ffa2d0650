package dev.registerservice.registration;

import dev.registerservice.storage.Database;
import dev.registerservice.storage.UserStore;
import io.vertx.core.Context;
import io.vertx.core.Future;

/**
 * Registers a validated user: hashes the password on the {@link HashingPool}, then inserts the row. The
 * database's readiness is checked first, so no hashing is spent while it is down. Fails with
 * {@link HashingPool.Overloaded}, {@link UserStore.Unavailable} or {@link UserStore.Duplicate}.
 */
public final class Registrar {
  private final HashingPool hashing;
  private final Database database;

  public Registrar(HashingPool hashing, Database database) {
    this.hashing = hashing;
    this.database = database;
  }

  /** Completes on {@code context} with the new user's id once the row is committed. */
  public Future<Long> register(Context context, Registration registration) {
    UserStore store;
    try {
      store = database.store();
    } catch (UserStore.Unavailable e) {
      return Future.failedFuture(e);
    }
    return hashing.hash(context, registration.password())
        .compose(hash -> store.insert(registration.username(), registration.email(), hash, registration.country()));
  }
}
