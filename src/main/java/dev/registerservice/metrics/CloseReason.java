package dev.registerservice.metrics;

/** Why a traffic connection closed: the {@code reason} tag of {@code http_server_connections_closed_total}. */
public enum CloseReason {
  /** The client closed with FIN (also: EPIPE on write, which means the client had closed first). */
  CLIENT_CLOSE("client_close"),
  /** The client reset the connection (RST): wrk and siege do this at the end of every run. */
  CLIENT_RESET("client_reset"),
  /** We closed after a response, e.g. {@code Connection: close} or an HTTP/1.0 client. */
  SERVER_CLOSE("server_close"),
  /** No bytes in either direction for the idle timeout. */
  IDLE_TIMEOUT("idle_timeout"),
  /** Request headers did not arrive in time (slowloris). */
  HEADER_TIMEOUT("header_timeout"),
  /** A response made no progress (client not reading) for the write timeout. */
  WRITE_TIMEOUT("write_timeout"),
  /** Closed by graceful shutdown. */
  SHUTDOWN("shutdown"),
  /** Refused at accept because the connection limit was reached. */
  OVERLOAD("overload"),
  /** The request could not be decoded; answered with a 4xx and closed. */
  PROTOCOL_ERROR("protocol_error");

  private final String label;

  CloseReason(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
