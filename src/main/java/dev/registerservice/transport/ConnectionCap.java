package dev.registerservice.transport;

/**
 * How many traffic connections may be open at once: the configured cap, or the process's file-descriptor
 * limit minus a reserve when that is lower (as nginx's {@code worker_connections} must stay under
 * {@code worker_rlimit_nofile}). Each traffic connection holds one descriptor; the reserve is for everything
 * else (the management port, the database, files, the embedded PostgreSQL's pipes). Past the cap a connection
 * is closed at accept ({@code overload}), so while the cap holds the kernel never refuses an accept for want of
 * a descriptor and the management port keeps answering.
 *
 * @param configured {@code REGISTER_MAX_CONNECTIONS}
 * @param descriptorLimit {@code RLIMIT_NOFILE} as the process has it, or a negative value when unknown
 * @param reserve {@code REGISTER_FD_RESERVE}
 * @param effective the cap the transport applies
 */
public record ConnectionCap(long configured, long descriptorLimit, long reserve, long effective) {

  /** Fails when the reserve leaves no descriptor for a traffic connection. */
  public static ConnectionCap of(long configured, long descriptorLimit, long reserve) {
    if (descriptorLimit < 0) {
      return new ConnectionCap(configured, descriptorLimit, reserve, configured);
    }
    long room = descriptorLimit - reserve;
    if (room < 1) {
      throw new IllegalStateException("REGISTER_FD_RESERVE = " + reserve + " leaves no file descriptor for traffic"
          + " connections: the process's limit (RLIMIT_NOFILE) is " + descriptorLimit
          + "; raise the limit (ulimit -n, the container runtime's nofile) or lower the reserve");
    }
    return new ConnectionCap(configured, descriptorLimit, reserve, Math.min(configured, room));
  }

  /** The file-descriptor limit made the cap lower than configured. */
  public boolean lowered() {
    return effective < configured;
  }

  /** The start-up log line's words. */
  public String describe() {
    if (descriptorLimit < 0) {
      return "file-descriptor limit unknown on this platform; traffic connections capped at " + effective
          + " (REGISTER_MAX_CONNECTIONS)";
    }
    String limit = "file descriptors: limit " + descriptorLimit + " (RLIMIT_NOFILE), " + reserve
        + " kept for all but traffic connections (REGISTER_FD_RESERVE); traffic connections capped at " + effective;
    return lowered()
        ? limit + ", lowered from REGISTER_MAX_CONNECTIONS " + configured + " so that the limit is never reached"
        : limit + " (REGISTER_MAX_CONNECTIONS)";
  }
}
