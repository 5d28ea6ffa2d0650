package dev.registerservice.testing;

import dev.registerservice.storage.EmbeddedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One real PostgreSQL for the in-process tests of this JVM, started once (the service's own embedded start,
 * durable commits included) on a temporary data directory, and read back over JDBC. Tests keep their rows
 * apart with unique names; zonky's shutdown hook stops it when the JVM exits.
 */
public final class TestDatabase {
  private static TestDatabase shared;

  private final int port;

  private TestDatabase(int port) {
    this.port = port;
  }

  public static synchronized TestDatabase shared() {
    if (shared == null) {
      try {
        Path dir = Files.createTempDirectory("register-test-db");
        shared = new TestDatabase(EmbeddedDatabase.start(dir).port());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return shared;
  }

  public int port() {
    return port;
  }

  /** The value for {@code REGISTER_DB_URL}. */
  public String url() {
    return url(port);
  }

  public static String url(int port) {
    return "postgresql://postgres@localhost:" + port + "/postgres";
  }

  /** The {@code users} row with this id, every column as text, or empty. */
  public Optional<Map<String, String>> user(long id) {
    return user(port, "id = ?", id);
  }

  /** The {@code users} row whose username equals this one ignoring case, or empty. */
  public Optional<Map<String, String>> userNamed(String username) {
    return user(port, "lower(username) = lower(?)", username);
  }

  /** Count of users whose username equals this one ignoring case. */
  public long countNamed(String username) {
    try (Connection connection = connect(port);
        PreparedStatement query = connection.prepareStatement(
            "SELECT count(*) FROM users WHERE lower(username) = lower(?)")) {
      query.setString(1, username);
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** One row of {@code users} on the PostgreSQL at {@code port}, every column as text. */
  public static Optional<Map<String, String>> user(int port, String where, Object value) {
    try (Connection connection = connect(port);
        PreparedStatement query = connection.prepareStatement("SELECT * FROM users WHERE " + where)) {
      query.setObject(1, value);
      try (ResultSet rows = query.executeQuery()) {
        if (!rows.next()) {
          return Optional.empty();
        }
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
          row.put(rows.getMetaData().getColumnName(i), rows.getString(i));
        }
        return Optional.of(row);
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  public static Connection connect(int port) throws SQLException {
    return connect(port, "postgres");
  }

  public static Connection connect(int port, String database) throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/" + database, "postgres", "");
  }

  /** A new, empty database on this server, named {@code prefix} and a unique suffix: a test's own schema. */
  public String newDatabase(String prefix) {
    String name = prefix + "_" + Long.toString(System.nanoTime(), 36);
    try (Connection admin = connect(port); Statement sql = admin.createStatement()) {
      sql.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return name;
  }

  /** The first column of every row {@code query} returns on {@code database}, as text. */
  public List<String> rows(String database, String query) {
    List<String> rows = new ArrayList<>();
    try (Connection connection = connect(port, database);
        Statement sql = connection.createStatement(); ResultSet result = sql.executeQuery(query)) {
      while (result.next()) {
        rows.add(result.getString(1));
      }
    } catch (SQLException e) {
      throw new AssertionError(query + ": " + e, e);
    }
    return rows;
  }

  /** The value for {@code REGISTER_DB_URL} that names {@code database} on this server. */
  public String url(String database) {
    return "postgresql://postgres@localhost:" + port + "/" + database;
  }
}
