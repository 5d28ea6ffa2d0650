package dev.registerservice.internal;

import java.util.Locale;

/** Why a response did not complete: the {@code cause} tag of {@code http_server_client_aborts_total}. */
public enum AbortCause {
  /** A write failed with EPIPE: the peer had closed, and its kernel answered our data with RST. */
  EPIPE,
  /** A write failed with ECONNRESET: the peer reset the connection (Ctrl-C with unread data, SO_LINGER 0). */
  ECONNRESET,
  /** The connection closed without an error before the response was complete (a FIN while we waited). */
  EOF,
  /** The server cut the response because the client made no progress for the write timeout. */
  TIMEOUT,
  /** Anything else (another errno, or the server shut down under the response). */
  OTHER;

  /** The tag value: the name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
