package dev.registerservice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
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

  @Test
  void unknownRegisterVariablesAreIgnored() {
    ServiceConfig config = ConfigLoader.fromValues(
        Map.of("REGISTER_SERVICE_PORT", "tcp://10.0.0.1:80", "REGISTER_HTTP_PORT", "8081"), new JsonObject());
    assertThat(config.http().port()).isEqualTo(8081);
  }
}
