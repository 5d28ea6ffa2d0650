package dev.registerservice.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** The packaged service ({@code target/register-service.jar}) as a child process, its stdout collected line by line. */
public final class ServiceProcess implements AutoCloseable {
  public static final Path JAR = Path.of("target/register-service.jar");

  private final Process process;
  private final List<String> stdout = new ArrayList<>();
  private final int port;
  private final int managementPort;
  private final Thread reader;

  private ServiceProcess(Process process, int port, int managementPort) {
    this.process = process;
    this.port = port;
    this.managementPort = managementPort;
    this.reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          synchronized (stdout) {
            stdout.add(line);
          }
        }
      } catch (IOException ignored) {
        // The process went away; what it printed so far is kept.
      }
    }, "service-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts the jar on free ports with {@code env} added, without waiting for it. */
  public static ServiceProcess launch(Map<String, String> env) throws IOException {
    return launch(env, List.of());
  }

  /**
   * As {@link #launch(Map)}, with {@code wrapper} in front of the java command: a command that ends by
   * exec-ing its arguments (so the pid stays the JVM's), e.g. one that first enters a cgroup.
   */
  public static ServiceProcess launch(Map<String, String> env, List<String> wrapper) throws IOException {
    return launch(env, wrapper, null);
  }

  /**
   * As {@link #launch(Map, List)}, with {@code extraClasspath} after the jar (when not null): resources a later
   * release would ship, such as its migration scripts.
   */
  public static ServiceProcess launch(Map<String, String> env, List<String> wrapper, Path extraClasspath)
      throws IOException {
    if (!Files.isRegularFile(JAR)) {
      throw new AssertionError(JAR + " is missing: run the tests with 'mvn verify' (it packages first)");
    }
    int port = freePort();
    int managementPort = freePort();
    List<String> command = new ArrayList<>(wrapper);
    command.addAll(extraClasspath == null
        ? List.of("java", "-XX:+DisplayVMOutputToStderr", "-jar", JAR.toString())
        : List.of("java", "-XX:+DisplayVMOutputToStderr", "-cp", JAR + ":" + extraClasspath,
            "dev.registerservice.Main"));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("REGISTER_HTTP_HOST", "127.0.0.1");
    builder.environment().put("REGISTER_MANAGEMENT_HOST", "127.0.0.1");
    builder.environment().put("REGISTER_HTTP_PORT", String.valueOf(port));
    builder.environment().put("REGISTER_MANAGEMENT_PORT", String.valueOf(managementPort));
    builder.environment().put("REGISTER_EVENT_LOOPS", "2");
    // No embedded PostgreSQL in the working directory unless a test asks for one with its own data directory.
    builder.environment().put("REGISTER_DB_EMBEDDED", "false");
    // Counters start at zero: no warm-up traffic unless a test asks for it.
    builder.environment().put("REGISTER_WARMUP_REQUESTS", "0");
    builder.environment().putAll(env);
    builder.redirectError(ProcessBuilder.Redirect.INHERIT);
    return new ServiceProcess(builder.start(), port, managementPort);
  }

  /** Starts the jar and waits until it logs that it is ready. */
  public static ServiceProcess start(Map<String, String> env) throws IOException {
    return start(env, List.of());
  }

  /** Starts the jar behind {@code wrapper} (see {@link #launch(Map, List)}) and waits until it is ready. */
  public static ServiceProcess start(Map<String, String> env, List<String> wrapper) throws IOException {
    return started(launch(env, wrapper));
  }

  /** Starts the jar with {@code extraClasspath} after it ({@link #launch(Map, List, Path)}), waits until ready. */
  public static ServiceProcess start(Map<String, String> env, Path extraClasspath) throws IOException {
    return started(launch(env, List.of(), extraClasspath));
  }

  private static ServiceProcess started(ServiceProcess service) {
    Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> service.output().stream().anyMatch(line -> line.contains("Ready in")) || !service.process.isAlive());
    if (!service.process.isAlive()) {
      throw new AssertionError("service exited at start: " + service.output());
    }
    return service;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  public int port() {
    return port;
  }

  public int managementPort() {
    return managementPort;
  }

  public long pid() {
    return process.pid();
  }

  public List<String> output() {
    synchronized (stdout) {
      return new ArrayList<>(stdout);
    }
  }

  /** Sends SIGTERM. ({@code Process.destroy()} would also close our end of its stdout and lose what follows.) */
  public void terminate() {
    process.toHandle().destroy();
  }

  /** Waits for the exit code. */
  public int waitFor(Duration limit) throws InterruptedException {
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("service still running after " + limit + "; output: " + output());
    }
    // Everything it printed before exiting is read before the exit code is reported.
    reader.join(TimeUnit.SECONDS.toMillis(5));
    return process.exitValue();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
