package dev.registerservice.storage;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
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
 * 503 is rolled back, never stored. Once the commit is sent its outcome is awaited for one more
 * {@code queryMillis}; a commit still unanswered then gets 503 too, and if it comes through later (a frozen
 * server resumed) its {@code undo} runs, so that nothing answered with an error stays stored. Nobody waits
 * for an undo, so it has a longer limit ({@value #PATIENCE_FACTOR} times the statement limit) and is tried
 * again with backoff ({@value #UNDO_ATTEMPTS} attempts, the waits between them growing from 1 s to 30 s, a
 * minute and a half in all); one that never succeeds is logged at ERROR.
 */
final class BoundedQueries {
  private static final org.apache.logging.log4j.Logger log =
      org.apache.logging.log4j.LogManager.getLogger(BoundedQueries.class);
  private static final int RUNNING = 0;
  private static final int COMMITTING = 1;
  private static final int ANSWERED = 2;
  /** How much longer than the statement limit work that nobody waits for may take: an undo, a cancel request. */
  private static final int PATIENCE_FACTOR = 4;
  private static final int UNDO_ATTEMPTS = 8;
  private static final long UNDO_BACKOFF_CAP_MILLIS = 30_000;

  private final Vertx vertx;
  private final Pool pool;
  /** Shared by every instance: registrations waiting for a pooled connection, and connections they hold. */
  static final AtomicInteger WAITING = new AtomicInteger();
  static final AtomicInteger IN_USE = new AtomicInteger();
  private final long poolWaitMillis;
  private final long queryMillis;

  BoundedQueries(Vertx vertx, Pool pool, long poolWaitMillis, long queryMillis) {
    this.vertx = vertx;
    this.pool = pool;
    this.poolWaitMillis = Math.min(poolWaitMillis, queryMillis);
    this.queryMillis = queryMillis;
  }

  /** Runs {@code work} on a pooled connection, outside any transaction. */
  <T> Future<T> read(Function<SqlConnection, Future<T>> work) {
    return run(work, true, null, poolWaitMillis, queryMillis);
  }

  /**
   * Runs {@code work} in a transaction committed only if it finished within the time limit; {@code undo}
   * removes what a commit stored after its caller was already answered 503.
   */
  <T> Future<T> write(Function<SqlConnection, Future<T>> work, BiFunction<SqlConnection, T, Future<?>> undo) {
    return run(work, false, undo, poolWaitMillis, queryMillis);
  }

  private <T> Future<T> run(Function<SqlConnection, Future<T>> work, boolean readOnly,
      BiFunction<SqlConnection, T, Future<?>> undo, long waitLimit, long statementLimit) {
    boolean transaction = !readOnly;
    Promise<T> answer = Promise.promise();
    AtomicInteger state = new AtomicInteger(RUNNING);
    long[] timer = new long[1];
    timer[0] = vertx.setTimer(statementLimit, id -> {
      if (state.compareAndSet(RUNNING, ANSWERED)) {
        answer.tryFail(new UserStore.Unavailable("statement timed out after " + statementLimit + " ms"));
      } else if (state.get() == COMMITTING) {
        timer[0] = vertx.setTimer(statementLimit, again -> {
          if (state.compareAndSet(COMMITTING, ANSWERED)) {
            answer.tryFail(new UserStore.Unavailable("commit unanswered after " + statementLimit + " ms"));
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
        if (state.getAndSet(ANSWERED) != ANSWERED) {
          vertx.cancelTimer(timer[0]);
          answer.handle(result);
        } else if (result.succeeded() && undo != null) {
          undo(undo, result.result(), 1);
        }
      });
    });
    return answer.future();
  }

  private <T> Future<T> inTransaction(SqlConnection connection, Function<SqlConnection, Future<T>> work,
      AtomicInteger state) {
    return connection.begin().compose(tx -> work.apply(connection).transform(result -> {
      if (result.succeeded() && state.compareAndSet(RUNNING, COMMITTING)) {
        return tx.commit().map(result.result());
      }
      Future<T> outcome = result.succeeded()
          ? Future.failedFuture(new UserStore.Unavailable("statement timed out; rolled back"))
          : Future.failedFuture(result.cause());
      return rollback(tx).transform(ignored -> outcome);
    }));
  }

  /** The commit came through after the caller got 503: remove what it stored, trying again while it fails. */
  private <T> void undo(BiFunction<SqlConnection, T, Future<?>> undo, T stored, int attempt) {
    long limit = queryMillis * PATIENCE_FACTOR;
    run(c -> undo.apply(c, stored).map(done -> stored), false, null, limit, limit)
        .onSuccess(done -> log.info("A write answered 503 was committed after all when the database resumed;"
            + " it was removed again{}", attempt > 1 ? " (attempt " + attempt + ")" : ""))
        .onFailure(failure -> {
          if (attempt >= UNDO_ATTEMPTS) {
            log.error("A write answered 503 was committed after all when the database resumed, and removing it"
                + " failed {} times; it is still stored (last failure: {})", attempt, failure.toString());
            return;
          }
          long backoff = Math.min(UNDO_BACKOFF_CAP_MILLIS, 1_000L << (attempt - 1));
          log.warn("A write answered 503 was committed after all when the database resumed, and removing it failed"
              + " (attempt {} of {}, again in {} ms): {}", attempt, UNDO_ATTEMPTS, backoff, failure.toString());
          vertx.setTimer(backoff, id -> undo(undo, stored, attempt + 1));
        });
  }

  private static Future<Void> rollback(Transaction tx) {
    return tx.rollback().recover(ignored -> Future.succeededFuture());
  }

  private static String describe(Throwable failure) {
    String reason = DatabaseFailures.unavailableReason(failure);
    return reason != null ? reason : String.valueOf(failure.getMessage());
  }
}
