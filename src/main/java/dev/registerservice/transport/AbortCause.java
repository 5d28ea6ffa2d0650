package dev.registerservice.transport;

import java.util.Locale;

/** Why a response did not complete: the {@code cause} tag of {@code http_server_client_aborts_total}. */
public enum AbortCause {
  /** A write failed with EPIPE: the peer had closed, and its kernel answered our data with RST. */
  EPIPE,
  /** A write failed with ECONNRESET: the peer reset the connection (Ctrl-C with unread data, SO_LINGER 0). */
  ECONNRESET,
  /** The connection closed before the response was complete, and no read or write failed: a clean FIN. */
  EOF,
  /** The server cut the response because the client made no progress for the write or idle timeout. */
  TIMEOUT,
  /** Another errno (ETIMEDOUT, EHOSTUNREACH), or our side closed the connection under the response. */
  OTHER;

  /**
   * Why a response did not reach its client, from how its connection ended: {@code ours}, the close our side
   * decided first (null if none did), and {@code errno}, the errno of the first read or write that failed
   * ({@link #EPIPE}, {@link #ECONNRESET}, {@link #OTHER}; null if none carried one). A decision of ours comes
   * first, because the failures after it are of our making; a timeout of ours counts as the client's, as it is
   * a client that stopped reading. Null when it is not a client abort: our own shutdown, the connection cap,
   * or a protocol refusal (counted as a rejection) cut it.
   */
  public static AbortCause of(CloseReason ours, AbortCause errno) {
    if (ours == null) {
      return errno == null ? EOF : errno;
    }
    return switch (ours) {
      case WRITE_TIMEOUT, IDLE_TIMEOUT, HEADER_TIMEOUT -> TIMEOUT;
      case SHUTDOWN, PROTOCOL_ERROR, OVERLOAD -> null;
      default -> OTHER;
    };
  }

  /** The tag value: the name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
