package dev.registerservice.storage;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Runs the store's statements with an answer in bounded time: each waits at most {@code poolWaitMillis} for a
 * pooled connection, and gets {@code queryMillis} from asking the pool to its result. The pool wait is timed
 * here, not by the pool: vertx-sql-client 5.0.7's own wait limit can complete a waiter twice when a
 * connection arrives as it expires (an ERROR "Promise already completed" from Vert.x); a connection that
 * arrives after its waiter was answered goes straight back. Past either limit the caller gets
 * {@link UserStore.Unavailable} at once, and the statement still running is cancelled with PostgreSQL's
 * cancel request (a separate connection to the server; a frozen server acts on it when it resumes). The
 * cancel request names a server process, not a statement: the connection goes back to the pool only once the
 * server has taken the request (or after {@value #PATIENCE_FACTOR} times the statement limit, if it never
 * does), so that a late cancel cannot hit the next statement on that connection.
 *
 * <p>Writes run in a transaction that is committed only if the statement finished in time: a write answered
 * 503 before its COMMIT was sent is rolled back, never stored. Once the COMMIT is sent, only PostgreSQL knows
 * whether it took: an answer that does not arrive within one more {@code queryMillis}, or a connection lost
 * meanwhile, is {@link UserStore.OutcomeUnknown}, never "not stored", and nothing is ever removed afterwards
 * (a retry may already have been shown the row). A COMMIT that PostgreSQL itself refuses (an error answer) was
 * not committed and is classified as any other failure.
 */
final class BoundedQueries {
  private static final int RUNNING = 0;
  private static final int COMMITTING = 1;
  private static final int ANSWERED = 2;
  /** How much longer than the statement limit a cancel request may take to be taken by the server. */
  private static final int PATIENCE_FACTOR = 4;

  private final Vertx vertx;
  private final Pool pool;
  /** Shared by every instance: registrations waiting for a pooled connection, and connections they hold. */
  static final AtomicInteger WAITING = new AtomicInteger();
  static final AtomicInteger IN_USE = new AtomicInteger();
  private final long poolWaitMillis;
  private final long queryMillis;
  private final boolean commits;

  BoundedQueries(Vertx vertx, Pool pool, long poolWaitMillis, long queryMillis) {
    this(vertx, pool, poolWaitMillis, queryMillis, true);
  }

  private BoundedQueries(Vertx vertx, Pool pool, long poolWaitMillis, long queryMillis, boolean commits) {
    this.vertx = vertx;
    this.pool = pool;
    this.poolWaitMillis = Math.min(poolWaitMillis, queryMillis);
    this.queryMillis = queryMillis;
    this.commits = commits;
  }

  /** The same, but every write is rolled back where it would commit: a rehearsal that stores nothing. */
  static BoundedQueries rehearsal(Vertx vertx, Pool pool, long queryMillis) {
    return new BoundedQueries(vertx, pool, queryMillis, queryMillis, false);
  }

  /** Runs {@code work} on a pooled connection, outside any transaction. */
  <T> Future<T> read(Function<SqlConnection, Future<T>> work) {
    return run(work, false, poolWaitMillis, queryMillis);
  }

  /**
   * Runs {@code work} in a transaction committed only if it finished within the time limit. Fails with
   * {@link UserStore.OutcomeUnknown} when its COMMIT was sent and not answered.
   */
  <T> Future<T> write(Function<SqlConnection, Future<T>> work) {
    return run(work, true, poolWaitMillis, queryMillis);
  }

  private <T> Future<T> run(Function<SqlConnection, Future<T>> work, boolean transaction, long waitLimit,
      long statementLimit) {
    Promise<T> answer = Promise.promise();
    AtomicInteger state = new AtomicInteger(RUNNING);
    long[] timer = new long[1];
    timer[0] = vertx.setTimer(statementLimit, id -> {
      if (state.compareAndSet(RUNNING, ANSWERED)) {
        answer.tryFail(new UserStore.Unavailable("statement timed out after " + statementLimit + " ms"));
      } else if (state.get() == COMMITTING) {
        timer[0] = vertx.setTimer(statementLimit, again -> {
          if (state.compareAndSet(COMMITTING, ANSWERED)) {
            answer.tryFail(new UserStore.OutcomeUnknown("commit unanswered after " + statementLimit + " ms"));
          }
        });
      }
    });
    AtomicBoolean obtained = new AtomicBoolean();
    long waitTimer = vertx.setTimer(waitLimit, id -> {
      if (!obtained.get() && state.compareAndSet(RUNNING, ANSWERED)) {
        vertx.cancelTimer(timer[0]);
        answer.tryFail(new UserStore.Unavailable("no connection within " + waitLimit + " ms"));
      }
    });
    WAITING.incrementAndGet();
    pool.getConnection().onComplete(got -> {
      WAITING.decrementAndGet();
      obtained.set(true);
      vertx.cancelTimer(waitTimer);
      if (got.failed()) {
        // Whatever the pool says (its wait limit, a refused or failed connect), there is no connection.
        if (state.getAndSet(ANSWERED) != ANSWERED) {
          vertx.cancelTimer(timer[0]);
          answer.tryFail(new UserStore.Unavailable("no connection: " + describe(got.cause())));
        }
        return;
      }
      SqlConnection connection = got.result();
      if (state.get() == ANSWERED) {
        connection.close();
        return;
      }
      IN_USE.incrementAndGet();
      Future<T> done = transaction ? inTransaction(connection, work, state) : work.apply(connection);
      Promise<Void> cancelTaken = Promise.promise();
      answer.future().onComplete(answered -> {
        if (answered.failed() && !done.isComplete()) {
          PgConnection.cast(connection).cancelRequest().onComplete(taken -> cancelTaken.tryComplete());
          // A server that never takes it (a blackholed route) does not keep the connection out of the pool for good.
          vertx.setTimer(statementLimit * PATIENCE_FACTOR, id -> cancelTaken.tryComplete());
        } else {
          cancelTaken.tryComplete();
        }
      });
      done.onComplete(result -> {
        cancelTaken.future().onComplete(taken -> {
          connection.close();
          IN_USE.decrementAndGet();
        });
        // A commit that comes through after its caller was answered stays: a retry finds it.
        if (state.getAndSet(ANSWERED) != ANSWERED) {
          vertx.cancelTimer(timer[0]);
          answer.handle(result);
        }
      });
    });
    return answer.future();
  }

  private <T> Future<T> inTransaction(SqlConnection connection, Function<SqlConnection, Future<T>> work,
      AtomicInteger state) {
    return connection.begin().compose(tx -> work.apply(connection).transform(result -> {
      if (result.succeeded() && !commits) {
        return rollback(tx).transform(ignored -> Future.succeededFuture(result.result()));
      }
      if (result.succeeded() && state.compareAndSet(RUNNING, COMMITTING)) {
        return tx.commit().transform(committed -> committed.succeeded() ? Future.succeededFuture(result.result())
            : Future.failedFuture(committed.cause() instanceof PgException refused ? refused
                : new UserStore.OutcomeUnknown(committed.cause())));
      }
      Future<T> outcome = result.succeeded()
          ? Future.failedFuture(new UserStore.Unavailable("statement timed out; rolled back"))
          : Future.failedFuture(result.cause());
      return rollback(tx).transform(ignored -> outcome);
    }));
  }

  private static Future<Void> rollback(Transaction tx) {
    return tx.rollback().recover(ignored -> Future.succeededFuture());
  }

  private static String describe(Throwable failure) {
    String reason = DatabaseFailures.unavailableReason(failure);
    return reason != null ? reason : String.valueOf(failure.getMessage());
  }
}
