package dev.registerservice.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/** {@code build_info{version,vertx_version,transport} 1}: what is running, for dashboards and incident notes. */
public final class BuildInfo implements MeterBinder {
  private final String version;
  private final String vertxVersion;
  private final String transport;

  public BuildInfo(String version, String vertxVersion, String transport) {
    this.version = version;
    this.vertxVersion = vertxVersion;
    this.transport = transport;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("build.info", () -> 1)
        .description("Always 1; the tags say which build, Vert.x version and transport are running")
        .tag("version", version)
        .tag("vertx_version", vertxVersion)
        .tag("transport", transport)
        .register(registry);
  }
}
