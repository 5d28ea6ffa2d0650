package dev.registerservice.transport;

import java.util.Locale;

/** Why a traffic connection closed: the {@code reason} tag of {@code http_server_connections_closed_total}. */
public enum CloseReason {
  /** The client closed with FIN (also: EPIPE on write, which means the client had closed first). */
  CLIENT_CLOSE,
  /** The client reset the connection (RST, ECONNRESET): siege's Ctrl-C, wrk at the end of every run. */
  CLIENT_RESET,
  /** A read or write failed with another errno (ETIMEDOUT after unanswered retransmissions, EHOSTUNREACH). */
  TRANSPORT_ERROR,
  /** We closed after a response, e.g. {@code Connection: close} or an HTTP/1.0 client. */
  SERVER_CLOSE,
  /** No bytes in either direction for the idle timeout. */
  IDLE_TIMEOUT,
  /** Request headers did not arrive in time (slowloris). */
  HEADER_TIMEOUT,
  /** A response made no progress (client not reading) for the write timeout. */
  WRITE_TIMEOUT,
  /** Closed by graceful shutdown. */
  SHUTDOWN,
  /** Refused at accept because the connection limit was reached. */
  OVERLOAD,
  /** The request could not be decoded or broke a protocol rule; answered with its refusal status and closed. */
  PROTOCOL_ERROR;

  /**
   * Why a connection ended: the close our side decided first ({@code ours}, null if none did), else what the
   * transport said: {@code errno} is the errno of the first read or write that failed ({@link AbortCause#EPIPE},
   * {@link AbortCause#ECONNRESET}, {@link AbortCause#OTHER}), null when none failed (a clean FIN).
   */
  public static CloseReason of(CloseReason ours, AbortCause errno) {
    if (ours != null) {
      return ours;
    }
    if (errno == null) {
      return CLIENT_CLOSE;
    }
    return switch (errno) {
      case ECONNRESET -> CLIENT_RESET;
      case EPIPE -> CLIENT_CLOSE;
      default -> TRANSPORT_ERROR;
    };
  }

  /** The tag value: the name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
