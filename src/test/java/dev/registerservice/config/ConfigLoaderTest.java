package dev.registerservice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.registerservice.testing.LogCapture;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  private static ServiceConfig load(Map<String, String> env) throws Exception {
    try {
      return ConfigLoader.load(vertx, env).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  @Test
  void environmentBeatsFileBeatsDefault(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("register.yaml");
    Files.writeString(file, "http:\n  port: 8181\n  writeQueueBytes: 32768\npage:\n  chunkSize: 1024\n");
    ServiceConfig config = load(Map.of(
        "REGISTER_CONFIG_FILE", file.toString(),
        "REGISTER_HTTP_PORT", "8282"));
    assertThat(config.http().port()).as("env beats file").isEqualTo(8282);
    assertThat(config.http().writeQueueBytes()).as("file beats default").isEqualTo(32768);
    assertThat(config.page().chunkSize()).isEqualTo(1024);
    assertThat(config.management().port()).as("default").isEqualTo(9090);
    assertThat(config.http().transport()).isEqualTo(Transport.EPOLL);
    assertThat(config.source()).isEqualTo(file.toString());
  }

  @Test
  void withoutAFileTheBuiltInDefaultsApply(@TempDir Path dir) throws Exception {
    // The default path points where no file is (conf/register.yaml exists in the working directory).
    ServiceConfig config = ConfigLoader.load(vertx, Map.of(), dir.resolve("absent.yaml").toString())
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(config.source()).isEqualTo("built-in defaults");
    assertThat(config.http().port()).isEqualTo(8080);
    assertThat(config.http().loops()).isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void theShippedFileHoldsTheDefaults() throws Exception {
    ServiceConfig fromFile = load(Map.of("REGISTER_CONFIG_FILE", "conf/register.yaml"));
    ServiceConfig builtIn = ConfigLoader.fromValues(Map.of(), new JsonObject());
    assertThat(fromFile).usingRecursiveComparison().ignoringFields("source").isEqualTo(builtIn);
  }

  @Test
  void aMissingExplicitFileIsAnError() {
    assertThatThrownBy(() -> load(Map.of("REGISTER_CONFIG_FILE", "/nonexistent/register.yaml")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("REGISTER_CONFIG_FILE").hasMessageContaining("/nonexistent/register.yaml");
  }

  @Test
  void aBadFileValueNamesTheKeyAndTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("register.yaml");
    Files.writeString(file, "page:\n  chunkSize: 0\n");
    assertThatThrownBy(() -> load(Map.of("REGISTER_CONFIG_FILE", file.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("page.chunkSize in " + file).hasMessageContaining("'0'");
  }

  @ParameterizedTest
  @CsvSource({
      "REGISTER_HTTP_PORT, 70000",
      "REGISTER_HTTP_PORT, http",
      "REGISTER_MANAGEMENT_PORT, -1",
      "REGISTER_CHUNK_SIZE, 0",
      "REGISTER_BODY_BYTES, 99999999999",
      "REGISTER_TRANSPORT, kqueue",
      "REGISTER_EVENT_LOOPS, 0",
      "REGISTER_WRITE_QUEUE_BYTES, 10",
      "REGISTER_METRICS_ENABLED, yes",
      "REGISTER_STALL_THRESHOLD_MS, 1",
      "REGISTER_MAX_REQUEST_BODY_BYTES, 100",
      "REGISTER_ARGON2_ITERATIONS, 0",
      "REGISTER_ARGON2_MEMORY_KIB, 4",
      "REGISTER_HASH_THREADS, 0",
      "REGISTER_HASH_QUEUE, -1",
      "REGISTER_DB_EMBEDDED, maybe",
      "REGISTER_DB_POOL_SIZE, 0",
      "REGISTER_DB_URL, mysql://x",
  })
  void eachInvalidValueIsRejectedNamingItsVariable(String variable, String value) {
    assertThatThrownBy(() -> ConfigLoader.fromValues(Map.of(variable, value), new JsonObject()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("invalid configuration: " + variable + " = '" + value + "'")
        .hasMessageNotContaining("\n");
  }

  @Test
  void aBadDatabaseUrlIsNamedWithItsPasswordMasked() {
    assertThatThrownBy(() -> ConfigLoader.fromValues(
        Map.of("REGISTER_DB_URL", "postgresql://app:s3cret@db:notaport/users"), new JsonObject()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("invalid configuration: REGISTER_DB_URL = 'postgresql://app:***@db:notaport/users'")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void argon2MemoryMustCoverEveryLane() {
    assertThatThrownBy(() -> ConfigLoader.fromValues(
        Map.of("REGISTER_ARGON2_PARALLELISM", "4", "REGISTER_ARGON2_MEMORY_KIB", "16"), new JsonObject()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("REGISTER_ARGON2_MEMORY_KIB = '16'");
  }

  @Test
  void hashNiceOutsideZeroToNineteenNamesTheVariable() {
    for (String bad : new String[] {"-1", "20", "low"}) {
      assertThatThrownBy(() -> ConfigLoader.fromValues(Map.of("REGISTER_HASH_NICE", bad), new JsonObject()))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("REGISTER_HASH_NICE = '" + bad + "'");
    }
    assertThat(ConfigLoader.fromValues(Map.of("REGISTER_HASH_NICE", "0"), new JsonObject()).registration().hashNice())
        .isZero();
  }

  @Test
  void registrationAndDatabaseDefaults() {
    ServiceConfig config = ConfigLoader.fromValues(Map.of(), new JsonObject());
    assertThat(config.registration()).isEqualTo(new RegistrationConfig(16384, 19456, 2, 1,
        Runtime.getRuntime().availableProcessors(), 64, 10));
    assertThat(config.database().url()).isNull();
    assertThat(config.database().embedded()).isTrue();
    assertThat(config.database().dataDir()).isEqualTo(Path.of("data"));
    assertThat(config.database().disabled()).isFalse();
    ServiceConfig external = ConfigLoader.fromValues(
        Map.of("REGISTER_DB_URL", "postgresql://app:s3cret@db:5432/users"), new JsonObject());
    assertThat(external.database().url()).isEqualTo("postgresql://app:s3cret@db:5432/users");
    assertThat(external.database().toString()).doesNotContain("s3cret");
  }

  /**
   * Every whole-number setting accepts exactly the range its error message names: the bounds themselves and
   * nothing beyond them. The range is read from the message for a non-number, so the test holds whatever the
   * bounds are, and a message that lied about them would fail it.
   */
  @Test
  void everyWholeNumberSettingAcceptsExactlyTheRangeItsErrorNames() {
    Pattern range = Pattern.compile("expected a whole number from (-?\\d+) to (-?\\d+)$");
    int checked = 0;
    for (Setting setting : Setting.values()) {
      String message = messageFor(setting, "x");
      Matcher m = range.matcher(message == null ? "" : message);
      if (!m.find()) {
        continue;
      }
      long min = Long.parseLong(m.group(1));
      long max = Long.parseLong(m.group(2));
      for (long accepted : new long[] {min, max}) {
        assertThat(messageFor(setting, String.valueOf(accepted))).as("%s = %s", setting.env(), accepted).isNull();
      }
      for (long refused : new long[] {min - 1, max + 1}) {
        assertThat(messageFor(setting, String.valueOf(refused))).as("%s = %s", setting.env(), refused)
            .isEqualTo("invalid configuration: " + setting.env() + " = '" + refused + "': expected a whole number from "
                + min + " to " + max);
      }
      checked++;
    }
    assertThat(checked).as("whole-number settings").isEqualTo(30);
  }

  /** The message a value gets, null when it is accepted; Argon2's memory is given room for any parallelism. */
  private static String messageFor(Setting setting, String value) {
    Map<String, String> env = new java.util.HashMap<>(Map.of(setting.env(), value));
    if (setting == Setting.ARGON2_PARALLELISM) {
      env.put(Setting.ARGON2_MEMORY_KIB.env(), "4194304");
    }
    try {
      ConfigLoader.fromValues(env, new JsonObject());
      return null;
    } catch (ConfigException e) {
      return e.getMessage();
    }
  }

  @Test
  void everyGroupHoldsItsDefaults() {
    ServiceConfig config = ConfigLoader.fromValues(Map.of(), new JsonObject());
    assertThat(config.http()).isEqualTo(new ServiceConfig.Http("0.0.0.0", 8080,
        Runtime.getRuntime().availableProcessors(), Transport.EPOLL, 65536, false, 350));
    assertThat(config.management()).isEqualTo(new ServiceConfig.Management("0.0.0.0", 9090, true));
    assertThat(config.page()).isEqualTo(new ServiceConfig.Page(4096, 16384));
    assertThat(config.eventLoops()).isEqualTo(new ServiceConfig.EventLoops(10, 100, 0));
    assertThat(config.limits()).isEqualTo(new ServiceConfig.Limits(16384, 256, 10, 60, 30));
    assertThat(config.shutdown()).isEqualTo(new ServiceConfig.Shutdown(5, 20));
    assertThat(config.database().timeouts()).isEqualTo(new DatabaseConfig.Timeouts(1000, 2000, 2500, 1000, 300));
    assertThat(config.database().poolSize()).isEqualTo(8);
  }

  @Test
  void booleansAreTrueOrFalseInAnyCaseAndHostsAreKeptAsGiven() {
    ServiceConfig on = ConfigLoader.fromValues(Map.of("REGISTER_ACCESS_LOG", "TRUE", "REGISTER_METRICS_ENABLED",
        "False", "REGISTER_HTTP_HOST", "127.0.0.1", "REGISTER_MANAGEMENT_HOST", "::1"), new JsonObject());
    assertThat(on.http().accessLog()).isTrue();
    assertThat(on.management().metricsEnabled()).isFalse();
    assertThat(on.http().host()).isEqualTo("127.0.0.1");
    assertThat(on.management().host()).isEqualTo("::1");
    for (String bad : new String[] {"", "a b", "\t"}) {
      assertThatThrownBy(() -> ConfigLoader.fromValues(Map.of("REGISTER_HTTP_HOST", bad), new JsonObject()))
          .isInstanceOf(ConfigException.class)
          .hasMessage("invalid configuration: REGISTER_HTTP_HOST = '" + bad.trim() + "': expected a host name or IP address");
    }
  }

  @Test
  void argon2MemoryOfExactlyEightKibPerLaneIsEnough() {
    assertThat(ConfigLoader.fromValues(Map.of("REGISTER_ARGON2_PARALLELISM", "4", "REGISTER_ARGON2_MEMORY_KIB", "32"),
        new JsonObject()).registration().argon2MemoryKib()).isEqualTo(32);
    assertThatThrownBy(() -> ConfigLoader.fromValues(
        Map.of("REGISTER_ARGON2_PARALLELISM", "4", "REGISTER_ARGON2_MEMORY_KIB", "31"), new JsonObject()))
        .hasMessage("invalid configuration: REGISTER_ARGON2_MEMORY_KIB = '31': Argon2 needs at least 8 KiB per lane:"
            + " at least 32 for REGISTER_ARGON2_PARALLELISM = 4");
  }

  @Test
  void unknownRegisterVariablesGetOneWarningNamingThemAndNothingElseIs() {
    try (LogCapture log = LogCapture.attach()) {
      ConfigLoader.fromValues(Map.of("REGISTER_SERVICE_PORT", "tcp://10.0.0.1:80", "REGISTER_SERVICE_HOST", "10.0.0.1",
          "REGISTER_HTTP_PORT", "8081", "PATH", "/usr/bin", "REGISTER_CONFIG_FILE", "x", "REGISTER_LOG_FORMAT", "json"),
          new JsonObject());
      assertThat(log.atLeast(Level.WARN)).extracting(e -> e.getMessage().getFormattedMessage())
          .containsExactly("Ignoring unknown environment variables [REGISTER_SERVICE_HOST, REGISTER_SERVICE_PORT]");
    }
    try (LogCapture log = LogCapture.attach()) {
      ConfigLoader.fromValues(Map.of("REGISTER_HTTP_PORT", "8081", "HOME", "/root"), new JsonObject());
      assertThat(log.atLeast(Level.WARN)).isEmpty();
    }
  }

  @Test
  void aFileThatDoesNotParseIsOneLineNamingIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("register.yaml");
    Files.writeString(file, "http:\n  port: [8080\n  host: x\n");
    assertThatThrownBy(() -> load(Map.of("REGISTER_CONFIG_FILE", file.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("REGISTER_CONFIG_FILE=" + file + ": cannot be read: ")
        // The parser's own words, where it choked, on one line.
        .hasMessageContaining("line 2")
        .hasMessageNotContaining("\n");
  }

  @Test
  void unknownRegisterVariablesAreIgnored() {
    ServiceConfig config = ConfigLoader.fromValues(
        Map.of("REGISTER_SERVICE_PORT", "tcp://10.0.0.1:80", "REGISTER_HTTP_PORT", "8081"), new JsonObject());
    assertThat(config.http().port()).isEqualTo(8081);
  }
}
