package dev.registerservice.config;

import java.nio.file.Path;

/**
 * Where users are stored.
 *
 * @param url an external PostgreSQL ({@code postgresql://user:password@host:port/database}), or null
 * @param embedded without a URL, start an embedded PostgreSQL on {@code dataDir}; false with no URL leaves
 *     registration without a database (POST answers 503)
 * @param poolSize connections in the pool
 * @param timeouts how long a registration may wait on the database, and how often it is checked
 */
public record DatabaseConfig(String url, boolean embedded, Path dataDir, int poolSize, Timeouts timeouts) {

  /**
   * The bounds that keep every registration's answer short while the database is frozen or unreachable.
   *
   * @param connectMillis a TCP connect to PostgreSQL
   * @param poolWaitMillis a registration waiting for a pooled connection (a new connection's set-up included)
   * @param queryMillis one statement, from asking the pool to its result; a statement past it is cancelled
   * @param checkIntervalMillis the health check's period; each check also times out after this long
   * @param migrationSeconds how long one statement of a schema migration may wait for its answer at start
   */
  public record Timeouts(int connectMillis, int poolWaitMillis, int queryMillis, int checkIntervalMillis,
      int migrationSeconds) {
    /** The defaults: a frozen database gives 503 within about 2.5 s, and is seen as down within 2 s. */
    public static final Timeouts DEFAULTS = new Timeouts(1_000, 2_000, 2_500, 1_000, 300);
  }

  /** Neither an external nor an embedded database: registrations are refused with 503. */
  public boolean disabled() {
    return url == null && !embedded;
  }

  /** The URL with its password replaced, for logs and error messages. */
  public static String masked(String url) {
    return url == null ? null : url.replaceFirst("(//[^/:@]*:)[^@/]*@", "$1***@");
  }

  @Override
  public String toString() {
    return "DatabaseConfig[url=" + masked(url) + ", embedded=" + embedded + ", dataDir=" + dataDir
        + ", poolSize=" + poolSize + ", timeouts=" + timeouts + "]";
  }
}
