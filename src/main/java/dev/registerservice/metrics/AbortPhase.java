package dev.registerservice.metrics;

/** Where in the response the client went away: the {@code phase} tag of {@code http_server_client_aborts_total}. */
public enum AbortPhase {
  /** The write carrying the status line failed or never ran. */
  BEFORE_HEADERS("before_headers"),
  /** The status line went out; a later body write failed. */
  MID_BODY("mid_body");

  private final String label;

  AbortPhase(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
