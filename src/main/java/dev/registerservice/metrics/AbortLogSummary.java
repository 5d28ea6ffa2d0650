package dev.registerservice.metrics;

import dev.registerservice.transport.AbortCause;
import java.util.EnumMap;
import java.util.Map;
import java.util.StringJoiner;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A client abort is traffic, not an error: nothing is logged per abort. Instead, every period in which
 * some happened gets one INFO line with the counts by cause.
 */
public final class AbortLogSummary {
  private static final Logger log = LogManager.getLogger(AbortLogSummary.class);

  private final AbortMetrics responses;
  private final long periodSeconds;
  private final Map<AbortCause, Long> seen = new EnumMap<>(AbortCause.class);

  public AbortLogSummary(AbortMetrics responses, long periodSeconds) {
    this.responses = responses;
    this.periodSeconds = periodSeconds;
    for (AbortCause cause : AbortCause.values()) {
      seen.put(cause, responses.abortCount(cause));
    }
  }

  /** Runs every period, on a Vert.x timer. */
  public void runOnTimer(long timerId) {
    StringJoiner counts = new StringJoiner(", ");
    long total = 0;
    for (AbortCause cause : AbortCause.values()) {
      long now = responses.abortCount(cause);
      long delta = now - seen.put(cause, now);
      total += delta;
      counts.add(cause.label() + "=" + delta);
    }
    if (total > 0) {
      log.info("{} responses aborted by clients in the last {} s ({}); see http_server_client_aborts_total",
          total, periodSeconds, counts);
    }
  }
}
