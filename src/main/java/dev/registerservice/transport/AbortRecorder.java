package dev.registerservice.transport;

/**
 * Where the transport reports a response that did not reach its client: one per route and method, handed to
 * the connection by the route table for each request it dispatches ({@link ConnectionHandlers#answering}).
 */
public interface AbortRecorder {
  /**
   * @param sentBytes body bytes whose writes had completed when the client went away
   */
  void aborted(AbortCause cause, AbortPhase phase, long sentBytes);
}
