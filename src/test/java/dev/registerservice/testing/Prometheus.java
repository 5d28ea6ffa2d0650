package dev.registerservice.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * A real Prometheus server (Debian's {@code prometheus} binary) scraping the given management ports every
 * second as job {@code register-service}, evaluating the project's own alert rules (the groups of
 * {@code k8s/prometheusrule.yaml}'s spec) every second. Queried through its HTTP API.
 */
public final class Prometheus implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final int port;
  private final Path dir;

  private Prometheus(Process process, int port, Path dir) {
    this.process = process;
    this.port = port;
    this.dir = dir;
  }

  @SuppressWarnings("unchecked")
  public static Prometheus start(List<Integer> managementPorts) throws IOException {
    Path dir = Files.createTempDirectory("prometheus-it");
    Map<String, Object> rule = new Yaml(new LoaderOptions()).load(Files.readString(Path.of("k8s/prometheusrule.yaml")));
    Object groups = ((Map<String, Object>) rule.get("spec")).get("groups");
    DumperOptions block = new DumperOptions();
    block.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    Files.writeString(dir.resolve("rules.yaml"), new Yaml(block).dump(Map.of("groups", groups)));
    List<String> targets = managementPorts.stream().map(p -> "127.0.0.1:" + p).toList();
    Files.writeString(dir.resolve("prometheus.yml"), new Yaml(block).dump(Map.of(
        "global", Map.of("scrape_interval", "1s", "scrape_timeout", "1s", "evaluation_interval", "1s"),
        "rule_files", List.of(dir.resolve("rules.yaml").toString()),
        "scrape_configs", List.of(Map.of("job_name", "register-service", "metrics_path", "/metrics",
            "static_configs", List.of(Map.of("targets", targets)))))));
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Process process = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
        "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
        "--log.level=warn")
        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    Prometheus prometheus = new Prometheus(process, port, dir);
    Awaitility.await("Prometheus ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> {
          if (!process.isAlive()) {
            throw new AssertionError("prometheus exited: " + Files.readString(dir.resolve("prometheus.log")));
          }
          return prometheus.get("/-/ready").contains("Ready");
        });
    return prometheus;
  }

  private String get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** An instant query's result vector: each element's {@code metric} labels and its value. */
  public List<JsonObject> query(String promql) throws IOException, InterruptedException {
    JsonObject response = new JsonObject(get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)));
    if (!"success".equals(response.getString("status"))) {
      throw new AssertionError("query " + promql + " failed: " + response.encode());
    }
    List<JsonObject> out = new ArrayList<>();
    JsonArray result = response.getJsonObject("data").getJsonArray("result");
    for (int i = 0; i < result.size(); i++) {
      out.add(result.getJsonObject(i));
    }
    return out;
  }

  /** The value of a query that must return exactly one series. */
  public double single(String promql) throws IOException, InterruptedException {
    List<JsonObject> result = query(promql);
    if (result.size() != 1) {
      throw new AssertionError(promql + " returned " + result.size() + " series: " + result);
    }
    return Double.parseDouble(result.get(0).getJsonArray("value").getString(1));
  }

  /** Alerts pending or firing now, as Prometheus's {@code /api/v1/alerts} lists them. */
  public List<JsonObject> alerts() throws IOException, InterruptedException {
    JsonArray alerts = new JsonObject(get("/api/v1/alerts")).getJsonObject("data").getJsonArray("alerts");
    List<JsonObject> out = new ArrayList<>();
    for (int i = 0; i < alerts.size(); i++) {
      out.add(alerts.getJsonObject(i));
    }
    return out;
  }

  /** Rule groups loaded, with each rule's health (to prove the project's rules evaluate without error). */
  public JsonObject rules() throws IOException, InterruptedException {
    return new JsonObject(get("/api/v1/rules"));
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
