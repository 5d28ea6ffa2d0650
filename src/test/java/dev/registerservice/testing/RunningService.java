package dev.registerservice.testing;

import dev.registerservice.RegisterService;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The real service, started in-process on ephemeral ports with test-friendly settings. */
public final class RunningService implements AutoCloseable {
  private final RegisterService service;

  private RunningService(RegisterService service) {
    this.service = service;
  }

  /** Starts with ports 0 and no drain delay; {@code overrides} are environment variables. */
  public static RunningService start(Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("REGISTER_CONFIG_FILE", "conf/register.yaml");
    env.put("REGISTER_HTTP_HOST", "127.0.0.1");
    env.put("REGISTER_HTTP_PORT", "0");
    env.put("REGISTER_MANAGEMENT_HOST", "127.0.0.1");
    env.put("REGISTER_MANAGEMENT_PORT", "0");
    env.put("REGISTER_EVENT_LOOPS", "2");
    env.put("REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS", "0");
    // No database unless a test asks for one (REGISTER_DB_URL, or REGISTER_DB_EMBEDDED with a data directory).
    env.put("REGISTER_DB_EMBEDDED", "false");
    // Counters start at zero: no warm-up traffic unless a test asks for it (StartupWarmupTest, FirstRequestsIT).
    env.put("REGISTER_WARMUP_REQUESTS", "0");
    env.putAll(overrides);
    return new RunningService(RegisterService.start(env));
  }

  public static RunningService start() {
    return start(Map.of());
  }

  public RegisterService service() {
    return service;
  }

  public int port() {
    return service.httpPort();
  }

  public int managementPort() {
    return service.managementPort();
  }

  public Scrape scrape() {
    return Scrape.of(service.managementPort());
  }

  @Override
  public void close() throws Exception {
    service.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
