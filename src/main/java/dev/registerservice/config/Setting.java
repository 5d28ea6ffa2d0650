package dev.registerservice.config;

/**
 * Every setting the service reads: its environment variable, its key in the YAML file, and its default.
 * {@code docs/configuration.md} lists exactly these, one row each ({@code DocsContractTest} checks both ways).
 */
public enum Setting {
  HTTP_HOST("REGISTER_HTTP_HOST", "http.host", "0.0.0.0"),
  HTTP_PORT("REGISTER_HTTP_PORT", "http.port", "8080"),
  EVENT_LOOPS("REGISTER_EVENT_LOOPS", "http.eventLoops", String.valueOf(Runtime.getRuntime().availableProcessors())),
  WRITE_QUEUE_BYTES("REGISTER_WRITE_QUEUE_BYTES", "http.writeQueueBytes", "65536"),
  IDLE_TIMEOUT_SECONDS("REGISTER_IDLE_TIMEOUT_SECONDS", "http.idleTimeoutSeconds", "60"),
  WRITE_TIMEOUT_SECONDS("REGISTER_WRITE_TIMEOUT_SECONDS", "http.writeTimeoutSeconds", "30"),
  HEADER_TIMEOUT_SECONDS("REGISTER_HEADER_TIMEOUT_SECONDS", "http.headerTimeoutSeconds", "10"),
  MAX_CONNECTIONS("REGISTER_MAX_CONNECTIONS", "http.maxConnections", "16384"),
  FD_RESERVE("REGISTER_FD_RESERVE", "http.fdReserve", "256"),
  TRANSPORT("REGISTER_TRANSPORT", "transport", "epoll"),
  MANAGEMENT_HOST("REGISTER_MANAGEMENT_HOST", "management.host", "0.0.0.0"),
  MANAGEMENT_PORT("REGISTER_MANAGEMENT_PORT", "management.port", "9090"),
  CHUNK_SIZE("REGISTER_CHUNK_SIZE", "page.chunkSize", "4096"),
  BODY_BYTES("REGISTER_BODY_BYTES", "page.bodyBytes", "16384"),
  METRICS_ENABLED("REGISTER_METRICS_ENABLED", "metrics.enabled", "true"),
  LAG_PROBE_INTERVAL_MS("REGISTER_LAG_PROBE_INTERVAL_MS", "eventLoop.lagProbeIntervalMs", "10"),
  STALL_THRESHOLD_MS("REGISTER_STALL_THRESHOLD_MS", "eventLoop.stallThresholdMs", "100"),
  READY_MAX_LAG_MS("REGISTER_READY_MAX_LAG_MS", "eventLoop.readyMaxLagMs", "0"),
  SHUTDOWN_DRAIN_DELAY_SECONDS("REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS", "shutdown.drainDelaySeconds", "5"),
  SHUTDOWN_TIMEOUT_SECONDS("REGISTER_SHUTDOWN_TIMEOUT_SECONDS", "shutdown.timeoutSeconds", "20"),
  ACCESS_LOG("REGISTER_ACCESS_LOG", "log.access", "false"),
  WARMUP_REQUESTS("REGISTER_WARMUP_REQUESTS", "http.warmupRequests", "350"),
  MAX_REQUEST_BODY_BYTES("REGISTER_MAX_REQUEST_BODY_BYTES", "registration.maxBodyBytes", "16384"),
  ARGON2_MEMORY_KIB("REGISTER_ARGON2_MEMORY_KIB", "registration.argon2.memoryKib", "19456"),
  ARGON2_ITERATIONS("REGISTER_ARGON2_ITERATIONS", "registration.argon2.iterations", "2"),
  ARGON2_PARALLELISM("REGISTER_ARGON2_PARALLELISM", "registration.argon2.parallelism", "1"),
  HASH_THREADS("REGISTER_HASH_THREADS", "registration.hashThreads",
      String.valueOf(Runtime.getRuntime().availableProcessors())),
  HASH_QUEUE("REGISTER_HASH_QUEUE", "registration.hashQueue", "64"),
  HASH_NICE("REGISTER_HASH_NICE", "registration.hashNice", "10"),
  DB_URL("REGISTER_DB_URL", "database.url", ""),
  DB_EMBEDDED("REGISTER_DB_EMBEDDED", "database.embedded", "true"),
  DATA_DIR("REGISTER_DATA_DIR", "database.dataDir", "data"),
  DB_POOL_SIZE("REGISTER_DB_POOL_SIZE", "database.poolSize", "8"),
  DB_CONNECT_TIMEOUT_MS("REGISTER_DB_CONNECT_TIMEOUT_MS", "database.connectTimeoutMs", "1000"),
  DB_POOL_WAIT_MS("REGISTER_DB_POOL_WAIT_MS", "database.poolWaitMs", "2000"),
  DB_QUERY_TIMEOUT_MS("REGISTER_DB_QUERY_TIMEOUT_MS", "database.queryTimeoutMs", "2500"),
  DB_CHECK_INTERVAL_MS("REGISTER_DB_CHECK_INTERVAL_MS", "database.checkIntervalMs", "1000"),
  DB_MIGRATION_TIMEOUT_SECONDS("REGISTER_DB_MIGRATION_TIMEOUT_SECONDS", "database.migrationTimeoutSeconds", "300");

  /** Read before anything else (it chooses the config file), so it has no file key. */
  public static final String CONFIG_FILE_ENV = "REGISTER_CONFIG_FILE";
  /** Read before logging starts (it chooses the log layout), so it has no file key. */
  public static final String LOG_FORMAT_ENV = "REGISTER_LOG_FORMAT";
  public static final String DEFAULT_CONFIG_FILE = "conf/register.yaml";

  private final String env;
  private final String key;
  private final String defaultValue;

  Setting(String env, String key, String defaultValue) {
    this.env = env;
    this.key = key;
    this.defaultValue = defaultValue;
  }

  public String env() {
    return env;
  }

  public String key() {
    return key;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public static boolean isKnownEnv(String name) {
    if (name.equals(CONFIG_FILE_ENV) || name.equals(LOG_FORMAT_ENV)) {
      return true;
    }
    for (Setting s : values()) {
      if (s.env.equals(name)) {
        return true;
      }
    }
    return false;
  }
}
