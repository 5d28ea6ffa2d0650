package dev.registerservice.transport;

import dev.registerservice.transport.http1.RejectReason;

/**
 * Where the transport reports each traffic connection's life, as {@link AbortRecorder} takes its responses'
 * aborts: implemented above, by the metrics layer; the transport knows only this.
 */
public interface ConnectionRecorder {
  /** A connection was accepted (counted before the cap is checked: a connection refused for it was accepted). */
  void accepted();

  /** A connection closed, for {@code reason} ({@link CloseReason#of}). */
  void closed(CloseReason reason);

  /** A request or its body was refused by the protocol checks, for {@code reason}. */
  void rejected(RejectReason reason);
}
