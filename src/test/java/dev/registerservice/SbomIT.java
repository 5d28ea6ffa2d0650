package dev.registerservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.testing.ServiceProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.awaitility.Awaitility;
import org.cyclonedx.Version;
import org.cyclonedx.exception.ParseException;
import org.cyclonedx.parsers.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The SBOM that `mvn package` writes beside the jar (target/bom.json, cyclonedx-maven-plugin) is valid CycloneDX
 * and tells the truth about the jar: the Netty and Vert.x artifacts and versions it lists are exactly the ones
 * shaded into target/register-service.jar, and the native epoll library the running jar maps is the one it
 * carries. The schema is the one cyclonedx-core-java bundles (no network).
 */
class SbomIT {
  private static final Path BOM = Path.of("target/bom.json");
  private static final String NATIVE_EPOLL = "META-INF/native/libnetty_transport_native_epoll_x86_64.so";
  /** The floor set by 4.2.19's HTTP/1.0 Content-Length fix, in 4.2.21 (docs/design.md, "Dependency versions"). */
  private static final List<Integer> NETTY_FLOOR = List.of(4, 2, 21);
  private static final List<Integer> VERTX_FLOOR = List.of(5, 0, 8);

  @Test
  void theBomIsValidCycloneDx16() throws IOException {
    byte[] bom = Files.readAllBytes(BOM);
    JsonParser parser = new JsonParser();
    assertThat(messages(parser.validate(bom, Version.VERSION_16))).isEmpty();
    assertThat(new JsonObject(new String(bom, java.nio.charset.StandardCharsets.UTF_8)).getString("specVersion"))
        .isEqualTo("1.6");
    // The validator does check: the same BOM with a component missing its required name is refused.
    JsonObject broken = new JsonObject(Files.readString(BOM));
    broken.getJsonArray("components").getJsonObject(0).remove("name");
    assertThat(messages(parser.validate(broken.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8),
        Version.VERSION_16))).isNotEmpty();
  }

  @Test
  void theBomNamesTheNettyAndVertxArtifactsTheJarHolds() throws IOException {
    Map<String, String> inJar = new TreeMap<>();
    try (JarFile jar = new JarFile(ServiceProcess.JAR.toFile())) {
      jar.stream().filter(e -> e.getName().matches("META-INF/maven/io\\.(netty|vertx)/[^/]+/pom\\.properties"))
          .forEach(e -> {
            Properties properties = new Properties();
            try (InputStream in = jar.getInputStream(e)) {
              properties.load(in);
            } catch (IOException x) {
              throw new AssertionError(e.getName(), x);
            }
            inJar.put(properties.getProperty("groupId") + ":" + properties.getProperty("artifactId"),
                properties.getProperty("version"));
          });
    }
    Map<String, String> inBom = new TreeMap<>();
    JsonArray components = new JsonObject(Files.readString(BOM)).getJsonArray("components");
    for (int i = 0; i < components.size(); i++) {
      JsonObject c = components.getJsonObject(i);
      String group = c.getString("group", "");
      if (group.equals("io.netty") || group.equals("io.vertx")) {
        inBom.put(group + ":" + c.getString("name"), c.getString("version"));
        assertThat(c.getString("purl")).as("purl of %s", c.getString("name"))
            .startsWith("pkg:maven/" + group + "/" + c.getString("name") + "@" + c.getString("version"));
      }
    }
    assertThat(inJar).containsKeys("io.netty:netty-codec-http", "io.netty:netty-transport-native-epoll",
        "io.vertx:vertx-core", "io.vertx:vertx-web");
    assertThat(inBom).isEqualTo(inJar);
    inJar.forEach((artifact, version) -> assertThat(atLeast(version,
        artifact.startsWith("io.netty:") ? NETTY_FLOOR : VERTX_FLOOR)).as("%s %s", artifact, version).isTrue());
  }

  @Test
  @Timeout(120)
  void theRunningJarMapsTheNativeEpollLibraryItCarries() throws Exception {
    String carried;
    try (JarFile jar = new JarFile(ServiceProcess.JAR.toFile())) {
      ZipEntry entry = jar.getEntry(NATIVE_EPOLL);
      assertThat(entry).as(NATIVE_EPOLL).isNotNull();
      try (InputStream in = jar.getInputStream(entry)) {
        carried = sha256(in.readAllBytes());
      }
    }
    try (ServiceProcess service = ServiceProcess.start(Map.of())) {
      Path maps = Path.of("/proc", String.valueOf(service.pid()), "maps");
      // Netty extracts the library under a random name and deletes it once loaded: read the mapping itself.
      String mapping = Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Files.readAllLines(maps)
          .stream().filter(l -> l.contains("libnetty_transport_native_epoll")).findFirst().orElse(null),
          line -> line != null);
      Path mapped = Path.of("/proc", String.valueOf(service.pid()), "map_files", mapping.split("\\s+")[0]);
      // The first mapping starts at the file's offset 0; hash the whole file through it.
      assertThat(mapping.split("\\s+")[2]).isEqualTo("00000000");
      assertThat(sha256(Files.readAllBytes(mapped))).isEqualTo(carried);
      service.terminate();
      assertThat(service.waitFor(Duration.ofSeconds(60))).isZero();
    }
  }

  private static List<String> messages(List<ParseException> errors) {
    return errors.stream().map(Throwable::getMessage).toList();
  }

  /** Compares a Maven version's leading numbers ("4.2.18.Final", "5.0.10") with a floor. */
  private static boolean atLeast(String version, List<Integer> floor) {
    String[] parts = version.split("[.-]");
    for (int i = 0; i < floor.size(); i++) {
      int part = Integer.parseInt(parts[i]);
      if (part != floor.get(i)) {
        return part > floor.get(i);
      }
    }
    return true;
  }

  private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
