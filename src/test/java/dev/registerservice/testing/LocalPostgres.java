package dev.registerservice.testing;

import dev.registerservice.storage.EmbeddedDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL of its own (the service's embedded one, on a new data directory) whose TCP clients
 * must authenticate with a password (scram-sha-256), so that whatever connects through a proxy goes through a
 * real SASL exchange. Unlike {@link TestDatabase} it is this test's alone: it can be stopped, and its log read.
 */
public final class LocalPostgres implements AutoCloseable {
  public static final String USER = "postgres";
  public static final String PASSWORD = "proxy-test-secret";

  private final EmbeddedDatabase database;
  private final Path dataDir;

  private LocalPostgres(EmbeddedDatabase database, Path dataDir) {
    this.database = database;
    this.dataDir = dataDir;
  }

  /** Starts it on a new temporary directory and switches TCP to password authentication. */
  public static LocalPostgres start() throws IOException, SQLException {
    Path dataDir = Files.createTempDirectory("pgproxy").resolve("data");
    EmbeddedDatabase database = EmbeddedDatabase.start(dataDir);
    try (Connection trusted = TestDatabase.connect(database.port()); Statement statement = trusted.createStatement()) {
      statement.execute("ALTER USER " + USER + " PASSWORD '" + PASSWORD + "'");
      Files.writeString(dataDir.resolve("pg_hba.conf"), "local all all trust\n"
          + "host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n", StandardCharsets.UTF_8);
      statement.execute("SELECT pg_reload_conf()");
    }
    return new LocalPostgres(database, dataDir);
  }

  public int port() {
    return database.port();
  }

  /** What the server has logged so far: each line names the server process in brackets. */
  public String serverLog() throws IOException {
    return Files.readString(EmbeddedDatabase.currentLogFile(dataDir), StandardCharsets.UTF_8);
  }

  /** A JDBC URL for this server on {@code port} (this one's, or a proxy's in front of it). */
  public static String jdbcUrl(int port) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  /** A password-authenticated JDBC connection straight to the server. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(port()), USER, PASSWORD);
  }

  /** Stops the server and deletes its data. */
  @Override
  public void close() throws IOException {
    database.close();
    try (Stream<Path> files = Files.walk(dataDir.getParent())) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }
}
