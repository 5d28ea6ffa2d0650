package dev.registerservice.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** {@code build_info{version,vertx_version,transport} 1}: what is running, for dashboards and incident notes. */
public final class BuildInfo {
  private BuildInfo() {
  }

  public static void register(MeterRegistry registry, String version, String vertxVersion, String transport) {
    Gauge.builder("build.info", () -> 1)
        .description("Always 1; the tags say which build, Vert.x version and transport are running")
        .tag("version", version)
        .tag("vertx_version", vertxVersion)
        .tag("transport", transport)
        .register(registry);
  }
}
