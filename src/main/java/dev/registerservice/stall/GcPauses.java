package dev.registerservice.stall;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * The JVM's cumulative stop-the-world collection time, summed over its pausing collectors. The stall
 * detector's clock thread samples it on every wake-up; a Java thread cannot run during a pause, so every
 * pause falls wholly between two of its samples, and the difference over a freeze is the GC time inside it.
 *
 * <p>Why not the GC notifications' start and end times: they count from an origin inside the JVM that no
 * public API exposes ({@code RuntimeMXBean.getUptime()} is measured from an earlier point; the two differed
 * by about 250 ms here), and the notifications themselves arrive hundreds of milliseconds late under load.
 * Concurrent phases (ZGC/Shenandoah cycles, G1's concurrent cycle) do not stop the loops and are left out.
 */
public final class GcPauses {
  private final List<GarbageCollectorMXBean> pausing;

  public GcPauses() {
    pausing = ManagementFactory.getGarbageCollectorMXBeans().stream()
        .filter(bean -> !concurrent(bean.getName()))
        .toList();
  }

  /** Collectors whose collections run beside the application rather than stopping it. */
  static boolean concurrent(String name) {
    return name.contains("Concurrent") || name.endsWith("Cycles")
        || (name.startsWith("GPGC") && !name.endsWith("Pauses"));
  }

  /** Total stop-the-world collection time so far, in milliseconds. Allocates nothing. */
  public long collectionMillis() {
    long total = 0;
    for (int i = 0; i < pausing.size(); i++) {
      total += Math.max(0, pausing.get(i).getCollectionTime());
    }
    return total;
  }
}
