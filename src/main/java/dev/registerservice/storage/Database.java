package dev.registerservice.storage;

import dev.registerservice.config.DatabaseConfig;
import io.netty.buffer.ByteBufAllocator;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.net.IDN;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The users database, brought up in the background so that the traffic port never waits for it: the embedded
 * PostgreSQL starts on its own thread (or the external one from {@code REGISTER_DB_URL} is used), then a
 * schema is brought to the newest version over JDBC on the same thread ({@link Migrations}), tried again every
 * second while the database cannot be reached; a migration that fails for good stops there (one ERROR, and
 * readiness's {@code database} entry says why). Then the pooled reactive client serves registrations and
 * {@link DatabaseHealth} checks the server on a connection of its own. While it is not migrated or the
 * last check failed, {@link #store()} fails with {@link UserStore.Unavailable} and registration answers 503
 * before any hashing. An embedded PostgreSQL that dies is started again ({@link EmbeddedRestarts}).
 */
public final class Database {
  private static final Logger log = LogManager.getLogger(Database.class);
  private static final long RETRY_MILLIS = 1_000;
  private static final int POOL_WAIT_QUEUE = 1_024;
  private static final long REHEARSAL_MILLIS = 10_000;

  private final Vertx vertx;
  /** Where a registration's database path is walked once before the first user's (null: not at all). */
  private final Vertx rehearsal;
  private final DatabaseConfig config;
  private final Thread starter;
  private volatile boolean closing;
  private volatile EmbeddedDatabase embedded;
  private volatile Pool pool;
  private volatile UserStore store;
  private final DatabaseHealth health;
  private volatile EmbeddedRestarts restarts;

  private Database(Vertx vertx, Vertx rehearsal, DatabaseConfig config) {
    this.vertx = vertx;
    this.rehearsal = rehearsal;
    this.config = config;
    this.health = new DatabaseHealth(vertx, config.timeouts().checkIntervalMillis(), this::checkFailed);
    this.starter = new Thread(this::bringUp, "database-start");
    this.starter.setDaemon(true);
  }

  /**
   * The database, not started yet: until {@link #start()}, registrations get 503. Meters: {@link DatabaseMetrics}.
   *
   * @param vertx the instance whose event loops serve registrations
   * @param rehearsal another instance, whose loop walks a registration's database path once before the store
   *     opens (classes, first compilations), so no traffic loop pays for it; null for no rehearsal
   */
  public static Database create(Vertx vertx, Vertx rehearsal, DatabaseConfig config) {
    return new Database(vertx, rehearsal, config);
  }

  /** True while the database is migrated and its last health check succeeded. */
  public boolean ready() {
    return store != null && health.up();
  }

  /** The {@code database} entry of {@code /health/ready}: whether registrations can be stored, and why not. */
  public io.vertx.core.json.JsonObject status() {
    return health.status();
  }

  /** Starts bringing the database up in the background and returns at once. */
  public void start() {
    if (config.disabled()) {
      health.notReady("no database configured");
      log.warn("No database: REGISTER_DB_URL is empty and REGISTER_DB_EMBEDDED=false; POST /user/register"
          + " answers 503");
    } else {
      starter.start();
    }
  }

  /** The store once the database is migrated; otherwise fails with {@link UserStore.Unavailable}. */
  public UserStore store() {
    UserStore current = store;
    if (current == null) {
      throw new UserStore.Unavailable(config.disabled() ? "no database configured" : "database not ready yet");
    }
    if (!health.up()) {
      throw new UserStore.Unavailable("database unreachable: " + health.status().getString("reason"));
    }
    return current;
  }

  /** A registration met the database unavailable although the last check passed: check again now. */
  public void suspect() {
    health.suspect();
  }

  private void checkFailed(String reason) {
    EmbeddedRestarts current = restarts;
    if (current != null && !closing) {
      current.checkFailed();
    }
  }

  /** When {@link #bringUp} began, and what it connected to: for the one "ready" line. */
  private volatile long startedNanos;
  private volatile String where;

  private void bringUp() {
    startedNanos = System.nanoTime();
    health.notReady("starting");
    warmFirstUseClasses();
    PgConnectOptions connect;
    if (config.url() != null) {
      connect = PgConnectOptions.fromUri(config.url());
      where = "PostgreSQL at " + DatabaseConfig.masked(config.url());
      log.info("Using PostgreSQL at {}", DatabaseConfig.masked(config.url()));
    } else {
      log.info("Embedded PostgreSQL, for local use only (a cluster sets REGISTER_DB_URL): data in {}, its own log"
          + " in {}", config.dataDir().toAbsolutePath(), EmbeddedDatabase.logFile(config.dataDir()));
      EmbeddedDatabase started = startEmbedded();
      if (started == null) {
        return;
      }
      where = "embedded PostgreSQL on localhost:" + started.port();
      restarts = new EmbeddedRestarts(config.dataDir(), started, () -> closing);
      connect = new PgConnectOptions().setHost("localhost").setPort(started.port())
          .setUser("postgres").setDatabase("postgres");
    }
    DatabaseConfig.Timeouts timeouts = config.timeouts();
    pool = PgBuilder.pool()
        .with(new PoolOptions()
            .setName("users")
            .setMaxSize(config.poolSize())
            .setMaxWaitQueueSize(POOL_WAIT_QUEUE)
            // The wait is bounded by BoundedQueries (REGISTER_DB_POOL_WAIT_MS), not by the pool: see there why.
            .setConnectionTimeout(0))
        .with(new NetClientOptions().setConnectTimeout(timeouts.connectMillis()))
        .withConnectHandler(connection -> {
          PostgresNotices.handle(connection);
          connection.close(); // hands it to the pool
        })
        .connectingTo(connect)
        .using(vertx)
        .build();
    checkTarget = connect;
    migrate(new Migrations(Migrations.dataSource(connect, timeouts.connectMillis(), timeouts.migrationSeconds())));
  }

  private volatile PgConnectOptions checkTarget;

  /**
   * Work the JDK does once, 50 to 250 ms of it, that would otherwise fall on an event loop under the client's
   * first connection and be counted as a stall: Netty 4.2's default allocator registers its Flight Recorder
   * events when it makes its first chunk, and Netty's DNS resolver loads java.net.IDN's Unicode tables. Done
   * here, on this thread, it delays neither readiness nor any request.
   */
  private static void warmFirstUseClasses() {
    ByteBufAllocator.DEFAULT.directBuffer(1).release();
    IDN.toASCII("localhost");
  }

  /** Starts the embedded PostgreSQL, retrying while the data directory is held; null if closing first. */
  private EmbeddedDatabase startEmbedded() {
    while (!closing) {
      try {
        EmbeddedDatabase db = EmbeddedDatabase.start(config.dataDir());
        embedded = db;
        return closing ? null : db;
      } catch (Exception e) {
        Path pgLog = EmbeddedDatabase.currentLogFile(config.dataDir());
        log.warn("Cannot start the embedded PostgreSQL on {}: {}; retrying in 5 s. Its log {} ends: {}",
            config.dataDir().toAbsolutePath(), e.getMessage(), pgLog, EmbeddedDatabase.lastLogLines(pgLog, 5));
        if (!pause(TimeUnit.SECONDS.toMillis(5))) {
          return null;
        }
      }
    }
    return null;
  }

  /** On the start thread: migrates, trying again every second while that may pass; then opens the store. */
  private void migrate(Migrations migrations) {
    for (int attempt = 0; !closing; attempt++) {
      health.notReady("migrating the schema");
      try {
        Migrations.Outcome outcome = migrations.migrate();
        rehearse();
        BoundedQueries queries = new BoundedQueries(vertx, pool, config.timeouts().poolWaitMillis(),
            config.timeouts().queryMillis());
        store = new UserStore(queries);
        health.start(checkTarget);
        awaitFirstCheck();
        log.info("Database ready in {} ms: {}, {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos),
            where, outcome.describe());
        return;
      } catch (Migrations.Failed failed) {
        health.notReady("schema migration failed: " + failed.getMessage());
        log.error("Schema migration failed, so POST /user/register answers 503 until the script or the database is"
            + " fixed and the service restarted (the page and everything else keep working): {}", failed.getMessage());
        return;
      } catch (RuntimeException notYet) {
        String why = MigrationFailures.oneLine(notYet.getMessage());
        health.notReady("schema migration failing: " + why);
        if (attempt == 0 || attempt % 30 == 0) {
          log.warn("Database not ready ({}); retrying every {} ms", why, RETRY_MILLIS);
        }
        if (!pause(RETRY_MILLIS)) {
          return;
        }
      }
    }
  }

  /**
   * {@link UserStore#rehearse} on a one-connection pool of the rehearsal instance, rolled back. A rehearsal
   * that fails (the database went away meanwhile) costs nothing but the warm-up: the health check tells.
   */
  private void rehearse() {
    if (rehearsal == null) {
      return;
    }
    Pool once = PgBuilder.pool().with(new PoolOptions().setName("rehearsal").setMaxSize(1))
        .with(new NetClientOptions().setConnectTimeout(config.timeouts().connectMillis()))
        .connectingTo(checkTarget).using(rehearsal).build();
    try {
      UserStore.rehearse(BoundedQueries.rehearsal(rehearsal, once, REHEARSAL_MILLIS)).toCompletionStage()
          .toCompletableFuture().get(2 * REHEARSAL_MILLIS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.info("The database path was not rehearsed ({}); the first registrations may be slower", e.toString());
    } finally {
      once.close();
    }
  }

  /** "Database ready" means a registration can be stored: the first health check has passed (or said why not). */
  private void awaitFirstCheck() {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2L * config.timeouts().checkIntervalMillis());
    while (!health.up() && !closing && System.nanoTime() < until) {
      pause(5);
    }
  }

  /** Sleeps up to {@code millis} in steps, false as soon as closing (or interrupted). */
  private boolean pause(long millis) {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!closing && System.nanoTime() < until) {
      try {
        Thread.sleep(Math.min(100, millis));
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return !closing;
  }

  /** Closes the pool and stops the embedded PostgreSQL (waiting for a start in progress first). */
  public Future<Void> close() {
    closing = true;
    health.stop();
    Promise<Void> closed = Promise.promise();
    Thread stopper = new Thread(() -> {
      try {
        if (starter.isAlive()) {
          starter.join(TimeUnit.SECONDS.toMillis(60));
        }
        Pool current = pool;
        if (current != null) {
          // A frozen server never answers the pool's goodbye: a bounded wait, and the embedded one stops anyway.
          current.close().toCompletionStage().toCompletableFuture().get(2, TimeUnit.SECONDS);
        }
      } catch (Exception e) {
        log.info("Closing the database pool: {}", e.toString());
      }
      try {
        EmbeddedRestarts healer = restarts;
        EmbeddedDatabase db = healer != null ? healer.stop() : embedded;
        if (db != null) {
          db.close();
        }
      } catch (Exception e) {
        log.warn("Stopping the embedded PostgreSQL: {}", e.toString());
      }
      closed.complete();
    }, "database-stop");
    stopper.start();
    return closed.future();
  }
}
