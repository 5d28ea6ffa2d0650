package dev.registerservice.config;

import java.nio.file.Path;

/**
 * Where users are stored.
 *
 * @param url an external PostgreSQL ({@code postgresql://user:password@host:port/database}), or null
 * @param embedded without a URL, start an embedded PostgreSQL on {@code dataDir}; false with no URL leaves
 *     registration without a database (POST answers 503)
 * @param poolSize connections in the pool
 */
public record DatabaseConfig(String url, boolean embedded, Path dataDir, int poolSize) {

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
        + ", poolSize=" + poolSize + "]";
  }
}
