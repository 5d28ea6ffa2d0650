package dev.registerservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.config.Setting;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Keeps the two references in {@code docs/} true to the code, in both directions: every {@link Setting} (variable,
 * file key, default) is in {@code docs/configuration.md} and nothing else is; every metric a live scrape exports
 * is in {@code docs/metrics.md} and nothing documented is missing from that scrape.
 *
 * <p>The tables are read as plain Markdown: a row whose first cell is a backticked {@code REGISTER_*} name (or a
 * metric name) is a documented item. In {@code metrics.md} a type cell such as
 * {@code histogram (`_bucket`, `_count`, `_sum`, `_max`)} says which sample names the row stands for.
 */
class DocsContractTest {
  private static final Path CONFIGURATION = Path.of("docs/configuration.md");
  private static final Path METRICS = Path.of("docs/metrics.md");
  private static final Pattern BACKTICKED = Pattern.compile("`([^`]*)`");
  private static final String AVAILABLE_PROCESSORS = "available processors";

  /** One row of a documented table, split into trimmed cells. */
  private static List<List<String>> rows(Path file) throws IOException {
    List<List<String>> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      String trimmed = line.trim();
      if (!trimmed.startsWith("|") || !trimmed.endsWith("|") || trimmed.startsWith("|---")) {
        continue;
      }
      List<String> cells = new ArrayList<>();
      for (String cell : trimmed.substring(1, trimmed.length() - 1).split("(?<!\\\\)\\|", -1)) {
        cells.add(cell.trim());
      }
      rows.add(cells);
    }
    return rows;
  }

  private static String backticked(String cell) {
    Matcher m = BACKTICKED.matcher(cell);
    return m.find() ? m.group(1) : null;
  }

  @Test
  void everySettingIsDocumentedWithItsKeyAndDefaultAndNothingElseIs() throws IOException {
    Map<String, List<String>> documented = new LinkedHashMap<>();
    for (List<String> row : rows(CONFIGURATION)) {
      String env = backticked(row.get(0));
      if (env != null && env.startsWith("REGISTER_")) {
        assertThat(documented.put(env, row)).as("%s is documented once", env).isNull();
        assertThat(row).as("row of %s: variable | file key | default | meaning", env).hasSize(4);
      }
    }
    Map<String, String[]> expected = new LinkedHashMap<>();
    for (Setting s : Setting.values()) {
      expected.put(s.env(), new String[] {s.key(), s.defaultValue()});
    }
    // Read before the config is (they choose the file and the log layout), so they have no file key.
    expected.put(Setting.CONFIG_FILE_ENV, new String[] {null, Setting.DEFAULT_CONFIG_FILE});
    expected.put(Setting.LOG_FORMAT_ENV, new String[] {null, "text"});

    assertThat(documented.keySet()).as("variables in %s", CONFIGURATION)
        .containsExactlyInAnyOrderElementsOf(expected.keySet());
    String processors = String.valueOf(Runtime.getRuntime().availableProcessors());
    expected.forEach((env, keyAndDefault) -> {
      List<String> row = documented.get(env);
      assertThat(backticked(row.get(1))).as("file key of %s", env).isEqualTo(keyAndDefault[0]);
      String defaultCell = row.get(2);
      String defaultValue = keyAndDefault[1];
      if (defaultCell.startsWith(AVAILABLE_PROCESSORS)) {
        assertThat(defaultValue).as("default of %s documented as '%s'", env, AVAILABLE_PROCESSORS)
            .isEqualTo(processors);
      } else if (defaultCell.startsWith("empty")) {
        assertThat(defaultValue).as("default of %s documented as empty", env).isEmpty();
      } else {
        assertThat(backticked(defaultCell)).as("default of %s", env).isEqualTo(defaultValue);
      }
      assertThat(row.get(3)).as("meaning of %s", env).isNotBlank();
    });
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void everyMetricOfALiveScrapeIsDocumentedAndNothingElseIs() throws Exception {
    TestDatabase db = TestDatabase.shared();
    try (RunningService service = RunningService.start(Map.of(
        "REGISTER_DB_URL", db.url(),
        "REGISTER_ARGON2_MEMORY_KIB", "64",
        "REGISTER_ARGON2_ITERATIONS", "1"))) {
      // Series that appear with their first use: a response (http_server_requests_seconds), the database pool,
      // SQL and network client meters (created with the pool once the database is reachable), a GC pause.
      Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .until(() -> service.scrape().value("registration_database_ready") == 1.0);
      assertThat(Registrations.postJson(service.port(),
          Registrations.valid(Registrations.uniqueName("docs"))).statusCode()).isEqualTo(201);
      try (var socket = RawHttp.connect(service.port())) {
        RawHttp.send(socket, RawHttp.get("/user/register"));
        assertThat(RawHttp.read(socket.getInputStream(), false).status()).isEqualTo(200);
      }
      // Micrometer registers jvm_gc_pause_seconds at the first collection it is told about.
      System.gc();
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> service.scrape().text().contains("jvm_gc_pause_seconds_count"));
      Scrape scrape = service.scrape();
      Files.createDirectories(Path.of("target"));
      Files.writeString(Path.of("target/docs-contract-scrape.txt"), scrape.text());

      Set<String> exported = new TreeSet<>();
      for (String line : scrape.text().split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          exported.add(line.split("[{ ]", 2)[0]);
        }
      }
      Set<String> documented = new TreeSet<>();
      for (List<String> row : rows(METRICS)) {
        String name = backticked(row.get(0));
        if (name == null || !name.matches("[a-z_][a-z0-9_]*") || row.size() < 4) {
          continue;
        }
        List<String> suffixes = new ArrayList<>();
        Matcher m = BACKTICKED.matcher(row.get(1));
        while (m.find()) {
          suffixes.add(m.group(1));
        }
        if (suffixes.isEmpty()) {
          assertThat(documented.add(name)).as("%s is documented once", name).isTrue();
        }
        for (String suffix : suffixes) {
          assertThat(suffix).as("sample suffix in the type cell of %s", name).matches("_[a-z]+");
          assertThat(documented.add(name + suffix)).as("%s is documented once", name + suffix).isTrue();
        }
        assertThat(row.get(3)).as("meaning of %s", name).isNotBlank();
      }
      assertThat(exported).as("sample names in the scrape (left) vs documented in %s", METRICS)
          .containsExactlyInAnyOrderElementsOf(documented);
    }
  }
}
