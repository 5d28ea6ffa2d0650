package dev.registerservice.config;

import java.util.concurrent.TimeUnit;

/**
 * The whole configuration, validated once at start and grouped by concern. Nothing reads configuration after
 * this is built.
 *
 * @param source where the file layer came from ("built-in defaults" when no file was read)
 */
public record ServiceConfig(
    Http http,
    Management management,
    Page page,
    EventLoops eventLoops,
    Limits limits,
    Shutdown shutdown,
    RegistrationConfig registration,
    DatabaseConfig database,
    String source) {

  /**
   * The traffic port.
   *
   * @param loops traffic event loops (one verticle each)
   * @param writeQueueBytes bytes one response may have queued for writing before it pauses
   * @param accessLog one log line per traffic response
   * @param warmupRequests requests the service sends itself before it reports ready, so that a new pod takes
   *     traffic with a warm JIT (0: none)
   */
  public record Http(String host, int port, int loops, Transport transport, int writeQueueBytes,
      boolean accessLog, int warmupRequests) {
  }

  /**
   * The management port ({@code /metrics}, {@code /health/*}).
   *
   * @param metricsEnabled false: no meter is exported; the lag probe and the stall detector still run, for readiness
   */
  public record Management(String host, int port, boolean metricsEnabled) {
  }

  /** The streamed page: its size and the size of each chunk. */
  public record Page(int chunkSize, int bodyBytes) {
  }

  /**
   * The event-loop lag probe, the stall threshold, and readiness's lag limit (0: off); and the rules every part
   * that watches a loop shares, so that each says "stalled" the same way.
   */
  public record EventLoops(int lagProbeIntervalMs, int stallThresholdMs, int readyMaxLagMs) {
    /** The stall threshold in nanoseconds. */
    public long thresholdNanos() {
      return TimeUnit.MILLISECONDS.toNanos(stallThresholdMs);
    }

    /**
     * A loop that could not run its tasks for longer than the stall threshold is stalled: the one definition
     * the stall count, the blocked-thread checker's limit (and so readiness) and the connection deadlines
     * (which leave such time out) share.
     */
    public boolean stalled(long lateNanos) {
      return lateNanos > thresholdNanos();
    }

    /**
     * How often the blocked-thread checker and the stall clock look: a quarter of the threshold, so that a
     * stall is seen soon after it passes it, but at least 5 ms (less costs CPU for nothing) and at most 50 ms.
     */
    public long checkIntervalNanos() {
      return Math.max(TimeUnit.MILLISECONDS.toNanos(5),
          Math.min(thresholdNanos() / 4, TimeUnit.MILLISECONDS.toNanos(50)));
    }
  }

  /** Per-connection limits against clients that hold resources; a timeout of 0 is off. */
  /**
   * @param maxConnections traffic connections open at once, at most (lowered at start when the process's
   *     file-descriptor limit minus {@code fdReserve} is smaller)
   * @param fdReserve file descriptors kept for everything but traffic connections: the management port, the
   *     database, log and jar files, the embedded PostgreSQL's pipes
   */
  public record Limits(int maxConnections, int fdReserve, int headerTimeoutSeconds, int idleTimeoutSeconds,
      int writeTimeoutSeconds) {
  }

  /** SIGTERM: how long readiness is down before the port closes, then how long responses get to finish. */
  public record Shutdown(int drainDelaySeconds, int timeoutSeconds) {
  }
}
