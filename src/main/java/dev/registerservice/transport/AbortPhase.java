package dev.registerservice.transport;

import java.util.Locale;

/** Where in the response the client went away: the {@code phase} tag of {@code http_server_client_aborts_total}. */
public enum AbortPhase {
  /** The write carrying the status line failed or never ran. */
  BEFORE_HEADERS,
  /** The status line went out; a later body write failed. */
  MID_BODY;

  /** The tag value: the name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
