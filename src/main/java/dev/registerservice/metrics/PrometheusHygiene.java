package dev.registerservice.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import java.util.Set;

/**
 * The one place that makes the stock Vert.x / Micrometer / Netty meters pass {@code promtool check metrics}
 * (see VERTX5-NOTES). Must be configured on the registry before any meter is registered.
 */
public final class PrometheusHygiene implements MeterFilter {
  /**
   * Counters in abbreviated units that cannot be rescaled here ({@code jvm_compilation_time_ms_total},
   * {@code process_cpu_time_ns_total}), and Netty's pending-task gauge, which {@code eventloop_pending_tasks}
   * replaces with the same {@code loop} tag as the other event-loop meters.
   */
  private static final Set<String> DENIED = Set.of(
      "jvm.compilation.time", "process.cpu.time", "netty.eventexecutor.tasks.pending");

  @Override
  public MeterFilterReply accept(Meter.Id id) {
    return DENIED.contains(id.getName()) ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
  }

  @Override
  public Meter.Id map(Meter.Id id) {
    String name = id.getName();
    String description = id.getDescription();
    if (name.equals("system.cpu.count")) {
      // A "_count" suffix on a gauge reads as half of a histogram.
      name = "system.cpu.available";
    }
    if (description == null || description.isEmpty()) {
      description = name.startsWith("netty.allocator.")
          ? "Netty buffer allocator: " + name.substring("netty.allocator.".length()).replace('.', ' ')
          : name.replace('.', ' ');
    }
    if (name.equals(id.getName()) && description.equals(id.getDescription())) {
      return id;
    }
    return new Meter.Id(name, Tags.of(id.getTagsAsIterable()), id.getBaseUnit(), description, id.getType());
  }
}
