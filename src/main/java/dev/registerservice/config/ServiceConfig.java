package dev.registerservice.config;

/**
 * The whole configuration, validated once at start. Nothing reads configuration after this is built.
 *
 * @param source where the file layer came from ("built-in defaults" when no file was read)
 */
public record ServiceConfig(
    String httpHost,
    int httpPort,
    int eventLoops,
    int writeQueueBytes,
    int idleTimeoutSeconds,
    int writeTimeoutSeconds,
    int headerTimeoutSeconds,
    int maxConnections,
    Transport transport,
    String managementHost,
    int managementPort,
    int chunkSize,
    int bodyBytes,
    boolean metricsEnabled,
    int lagProbeIntervalMs,
    int stallThresholdMs,
    int readyMaxLagMs,
    int shutdownDrainDelaySeconds,
    int shutdownTimeoutSeconds,
    boolean accessLog,
    RegistrationConfig registration,
    DatabaseConfig database,
    String source) {
}
