package dev.registerservice.metrics;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.GcInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Remembers when the recent stop-the-world GC pauses happened, from the JVM's own GC notifications (start
 * and end of each collection, in milliseconds since JVM start, converted to {@code System.nanoTime()}).
 * Concurrent phases (ZGC/Shenandoah cycles, G1's concurrent cycle) do not stop the loops and are skipped,
 * with the same test Micrometer's {@code JvmGcMetrics} uses.
 */
public final class GcPauses implements NotificationListener, AutoCloseable {
  private final Intervals pauses = new Intervals(64);
  private final long jvmStartNanos;
  private final List<NotificationEmitter> emitters = new ArrayList<>();

  public GcPauses() {
    jvmStartNanos = System.nanoTime() - ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000L;
    for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (bean instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(this, null, null);
        emitters.add(emitter);
      }
    }
  }

  @Override
  public void handleNotification(Notification notification, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
      return;
    }
    GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
        (CompositeData) notification.getUserData());
    if (concurrent(info.getGcCause(), info.getGcName())) {
      return;
    }
    GcInfo gc = info.getGcInfo();
    // Millisecond resolution: widen by one ms on each side so a pause is never under-covered by rounding.
    pauses.add(jvmStartNanos + (gc.getStartTime() - 1) * 1_000_000L, jvmStartNanos + (gc.getEndTime() + 1) * 1_000_000L);
  }

  static boolean concurrent(String cause, String name) {
    return "No GC".equals(cause) || "Shenandoah Cycles".equals(name)
        || (name.startsWith("ZGC") && name.endsWith("Cycles"))
        || (name.startsWith("GPGC") && !name.endsWith("Pauses"));
  }

  /** How much of {@code [start, end]} ({@code System.nanoTime()}) recent GC pauses cover. */
  public long pausedWithin(long start, long end) {
    return pauses.overlap(start, end);
  }

  @Override
  public void close() {
    for (NotificationEmitter emitter : emitters) {
      try {
        emitter.removeNotificationListener(this);
      } catch (ListenerNotFoundException ignored) {
        // already gone
      }
    }
  }
}
