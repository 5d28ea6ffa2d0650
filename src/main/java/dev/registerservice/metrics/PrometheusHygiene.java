package dev.registerservice.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The one place that makes the stock Vert.x / Micrometer / Netty meters pass {@code promtool check metrics}
 * (their names and units are listed in docs/metrics.md) and keeps their series stable across restarts. Must
 * be configured on the registry before any meter is registered.
 */
public final class PrometheusHygiene implements MeterFilter {
  /**
   * Counters in abbreviated units that cannot be rescaled here ({@code jvm_compilation_time_ms_total},
   * {@code process_cpu_time_ns_total}: {@code process_cpu_seconds_total} replaces it), and Netty's
   * pending-task gauge, which {@code eventloop_pending_tasks} replaces with the same {@code loop} tag as the
   * other event-loop meters.
   */
  private static final Set<String> DENIED = Set.of(
      "jvm.compilation.time", "process.cpu.time", "netty.eventexecutor.tasks.pending",
      // Vert.x's SQL client registers this untagged gauge once per client-metrics object, and the PostgreSQL
      // pool makes more than one: the second is ignored with a WARN ("This Gauge has been already registered
      // (vertx.sql.processing.pending)") and the gauge would show one of them only.
      "vertx.sql.processing.pending",
      // Micrometer 1.16+: an untagged gauge registered once per Netty event-loop group; the first group wins
      // (it showed 1 beside 2 traffic loops). eventloop_pending_tasks{loop} lists every loop.
      "netty.eventexecutor.workers");
  /**
   * Vert.x's net-client meters. The only net client here is the PostgreSQL pool's: Vert.x registers its
   * active-connections gauge once per client, so the second registration is ignored with a WARN ("This Gauge
   * has been already registered") and the gauge counts one client only, and its byte counters stay 0 for the
   * pool's connections. The database's state is {@code registration_database_ready}; these would only mislead.
   */
  private static final String DENIED_PREFIX = "vertx.net.client.";
  private static final String NETTY_ALLOCATOR = "netty.allocator.";
  /** Netty allocator gauges whose values are bytes (the rest are counts). */
  private static final Set<String> NETTY_BYTES = Set.of(
      "netty.allocator.memory.used", "netty.allocator.memory.pinned", "netty.allocator.pooled.chunk.size");

  @Override
  public MeterFilterReply accept(Meter.Id id) {
    return DENIED.contains(id.getName()) || id.getName().startsWith(DENIED_PREFIX)
        ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
  }

  @Override
  public Meter.Id map(Meter.Id id) {
    String name = id.getName();
    String description = id.getDescription();
    String baseUnit = id.getBaseUnit();
    Tags tags = Tags.of(id.getTagsAsIterable());
    if (name.equals("system.cpu.count")) {
      // A "_count" suffix on a gauge reads as half of a histogram.
      name = "system.cpu.available";
    }
    if (name.startsWith(NETTY_ALLOCATOR)) {
      // Its "id" tag is the allocator's identity hash: a new series on every restart. There is one allocator
      // per allocator_type, so the tag adds nothing but churn.
      tags = withoutTag(id, "id");
      if (NETTY_BYTES.contains(name)) {
        baseUnit = "bytes";
      }
    }
    if (description == null || description.isEmpty()) {
      description = name.startsWith(NETTY_ALLOCATOR)
          ? "Netty buffer allocator: " + name.substring(NETTY_ALLOCATOR.length()).replace('.', ' ')
          : name.replace('.', ' ');
    }
    if (name.equals(id.getName()) && description.equals(id.getDescription()) && baseUnit == id.getBaseUnit()
        && tags.stream().count() == id.getTags().size()) {
      return id;
    }
    return new Meter.Id(name, tags, baseUnit, description, id.getType());
  }

  private static Tags withoutTag(Meter.Id id, String key) {
    List<Tag> kept = new ArrayList<>();
    for (Tag tag : id.getTagsAsIterable()) {
      if (!tag.getKey().equals(key)) {
        kept.add(tag);
      }
    }
    return Tags.of(kept);
  }
}
