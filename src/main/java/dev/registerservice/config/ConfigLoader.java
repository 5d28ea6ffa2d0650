package dev.registerservice.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Builds the {@link ServiceConfig}: environment beats the YAML file (read with vertx-config) beats the
 * defaults in {@link Setting}. Every value is parsed and range-checked here; a bad one fails with a
 * {@link ConfigException} naming its key and value. Two checks need what only another class knows and are made
 * there, failing the same way: the page's size against its rendered template ({@code http.RegisterPage}), and
 * {@code REGISTER_LOG_FORMAT}, which is read before logging exists ({@code Main}).
 */
public final class ConfigLoader {
  private static final Logger log = LogManager.getLogger(ConfigLoader.class);
  private static final int MAX_BODY_BYTES = 1 << 30;

  private final Map<String, String> env;
  private final String fileName;
  private final SettingValues values;

  private ConfigLoader(Map<String, String> env, JsonObject file, String fileName) {
    this.env = env;
    this.fileName = fileName;
    this.values = new SettingValues(env, file, fileName);
  }

  /** Reads the config file named by {@code REGISTER_CONFIG_FILE} (or the default path, if it exists). */
  public static Future<ServiceConfig> load(Vertx vertx, Map<String, String> env) {
    return load(vertx, env, Setting.DEFAULT_CONFIG_FILE);
  }

  /** As {@link #load(Vertx, Map)}, with the path read when {@code REGISTER_CONFIG_FILE} is not set. */
  static Future<ServiceConfig> load(Vertx vertx, Map<String, String> env, String defaultFile) {
    String explicit = env.get(Setting.CONFIG_FILE_ENV);
    String path = explicit != null ? explicit : defaultFile;
    if (!Files.isRegularFile(Path.of(path))) {
      if (explicit != null) {
        return Future.failedFuture(new ConfigException(
            Setting.CONFIG_FILE_ENV + "=" + explicit + ": no such file"));
      }
      return Future.succeededFuture(new ConfigLoader(env, new JsonObject(), "built-in defaults").build());
    }
    ConfigStoreOptions store = new ConfigStoreOptions()
        .setType("file")
        .setFormat(path.endsWith(".json") ? "json" : "yaml")
        .setConfig(new JsonObject().put("path", path));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, new ConfigRetrieverOptions()
        .setScanPeriod(0)
        .addStore(store));
    return retriever.getConfig()
        .eventually(retriever::close)
        .recover(err -> Future.failedFuture(new ConfigException(
            Setting.CONFIG_FILE_ENV + "=" + path + ": cannot be read: " + oneLine(err))))
        .map(json -> new ConfigLoader(env, json, path).build());
  }

  /** Builds from the environment and an already parsed file; for callers that have no Vert.x yet. */
  static ServiceConfig fromValues(Map<String, String> env, JsonObject file) {
    return new ConfigLoader(env, file, "test values").build();
  }

  private ServiceConfig build() {
    warnAboutUnknownVariables();
    return new ServiceConfig(http(), management(), page(), eventLoops(), limits(), shutdown(), registration(),
        database(), fileName);
  }

  private ServiceConfig.Http http() {
    return new ServiceConfig.Http(
        values.host(Setting.HTTP_HOST),
        values.port(Setting.HTTP_PORT),
        values.intIn(Setting.EVENT_LOOPS, 1, 256),
        values.transport(),
        values.intIn(Setting.WRITE_QUEUE_BYTES, 1024, 64 << 20),
        values.bool(Setting.ACCESS_LOG),
        values.intIn(Setting.WARMUP_REQUESTS, 0, 1_000_000));
  }

  private ServiceConfig.Management management() {
    return new ServiceConfig.Management(
        values.host(Setting.MANAGEMENT_HOST),
        values.port(Setting.MANAGEMENT_PORT),
        values.bool(Setting.METRICS_ENABLED));
  }

  private ServiceConfig.Page page() {
    return new ServiceConfig.Page(
        values.intIn(Setting.CHUNK_SIZE, 1, 1 << 20),
        values.intIn(Setting.BODY_BYTES, 1, MAX_BODY_BYTES));
  }

  private ServiceConfig.EventLoops eventLoops() {
    return new ServiceConfig.EventLoops(
        values.intIn(Setting.LAG_PROBE_INTERVAL_MS, 1, 10_000),
        values.intIn(Setting.STALL_THRESHOLD_MS, 10, 60_000),
        values.intIn(Setting.READY_MAX_LAG_MS, 0, 60_000));
  }

  private ServiceConfig.Limits limits() {
    return new ServiceConfig.Limits(
        values.intIn(Setting.MAX_CONNECTIONS, 1, 1_000_000),
        values.intIn(Setting.FD_RESERVE, 16, 1_000_000),
        values.intIn(Setting.HEADER_TIMEOUT_SECONDS, 0, 3_600),
        values.intIn(Setting.IDLE_TIMEOUT_SECONDS, 0, 86_400),
        values.intIn(Setting.WRITE_TIMEOUT_SECONDS, 0, 86_400));
  }

  private ServiceConfig.Shutdown shutdown() {
    return new ServiceConfig.Shutdown(
        values.intIn(Setting.SHUTDOWN_DRAIN_DELAY_SECONDS, 0, 3_600),
        values.intIn(Setting.SHUTDOWN_TIMEOUT_SECONDS, 0, 3_600));
  }

  private RegistrationConfig registration() {
    int parallelism = values.intIn(Setting.ARGON2_PARALLELISM, 1, 64);
    // Argon2 needs at least 8 KiB per lane; more than 4 GiB would not fit any worker.
    int memoryKib = values.intIn(Setting.ARGON2_MEMORY_KIB, 8, 4 << 20);
    if (memoryKib < 8 * parallelism) {
      throw SettingValues.invalid(values.raw(Setting.ARGON2_MEMORY_KIB), "Argon2 needs at least 8 KiB per lane: at least "
          + 8 * parallelism + " for " + Setting.ARGON2_PARALLELISM.env() + " = " + parallelism);
    }
    return new RegistrationConfig(
        values.intIn(Setting.MAX_REQUEST_BODY_BYTES, 256, 1 << 20),
        memoryKib,
        values.intIn(Setting.ARGON2_ITERATIONS, 1, 100),
        parallelism,
        values.intIn(Setting.HASH_THREADS, 1, 256),
        values.intIn(Setting.HASH_QUEUE, 0, 100_000),
        values.intIn(Setting.HASH_NICE, 0, 19));
  }

  private DatabaseConfig database() {
    SettingValues.Raw url = values.raw(Setting.DB_URL);
    String value = url.value().isEmpty() ? null : url.value();
    if (value != null) {
      try {
        PgConnectOptions.fromUri(value);
      } catch (RuntimeException e) {
        // The URL may carry a password: the message shows it masked.
        throw SettingValues.invalid(new SettingValues.Raw(DatabaseConfig.masked(value), url.origin()),
            "expected postgresql://user:password@host:port/database");
      }
    }
    SettingValues.Raw dataDir = values.raw(Setting.DATA_DIR);
    if (dataDir.value().isEmpty()) {
      throw SettingValues.invalid(dataDir, "expected a directory path");
    }
    DatabaseConfig.Timeouts timeouts = new DatabaseConfig.Timeouts(
        values.intIn(Setting.DB_CONNECT_TIMEOUT_MS, 100, 60_000),
        values.intIn(Setting.DB_POOL_WAIT_MS, 100, 60_000),
        values.intIn(Setting.DB_QUERY_TIMEOUT_MS, 100, 60_000),
        values.intIn(Setting.DB_CHECK_INTERVAL_MS, 200, 60_000),
        values.intIn(Setting.DB_MIGRATION_TIMEOUT_SECONDS, 10, 86_400));
    return new DatabaseConfig(value, values.bool(Setting.DB_EMBEDDED), Path.of(dataDir.value()),
        values.intIn(Setting.DB_POOL_SIZE, 1, 1_000), timeouts);
  }

  /** Kubernetes injects {@code <SERVICE>_PORT}-style variables; an unknown name is worth one warning, not a failure. */
  private void warnAboutUnknownVariables() {
    TreeSet<String> unknown = new TreeSet<>();
    for (String name : env.keySet()) {
      if (name.startsWith("REGISTER_") && !Setting.isKnownEnv(name)) {
        unknown.add(name);
      }
    }
    if (!unknown.isEmpty()) {
      log.warn("Ignoring unknown environment variables {}", unknown);
    }
  }

  private static String oneLine(Throwable err) {
    String message = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    return message.replace('\n', ' ');
  }
}
