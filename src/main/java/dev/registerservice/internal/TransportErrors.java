package dev.registerservice.internal;

import io.netty.channel.unix.Errors;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * How the transport reported a client that went away, read from a failed write or read: the errno of the
 * native transport, a close, or (on NIO only, which has no errno) the text of the exception's message.
 * Next to the transport because it reads the transport's exception types; {@link CloseTracker} is its caller.
 */
final class TransportErrors {
  private TransportErrors() {
  }

  /**
   * Epoll failures carry the errno in a {@link Errors.NativeIoException} somewhere in the cause chain (later
   * writes wrap it in a {@link ClosedChannelException}). {@code nio}: the connection is on the NIO transport,
   * whose {@code IOException}s say "Broken pipe" or "Connection reset" only in their message; on epoll the
   * message is never read.
   */
  static AbortCause classify(Throwable failure, boolean nio) {
    boolean closed = false;
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof Errors.NativeIoException nativeFailure) {
        int errno = nativeFailure.expectedErr();
        if (errno == Errors.ERRNO_EPIPE_NEGATIVE) {
          return AbortCause.EPIPE;
        }
        if (errno == Errors.ERRNO_ECONNRESET_NEGATIVE) {
          return AbortCause.ECONNRESET;
        }
        return AbortCause.OTHER;
      }
      if (t instanceof HttpClosedException || t instanceof ClosedChannelException) {
        closed = true;
      } else if (nio && t instanceof IOException) {
        AbortCause fromMessage = fromNioMessage(t.getMessage());
        if (fromMessage != null) {
          return fromMessage;
        }
      } else if (t instanceof VertxException && t.getCause() == null) {
        // Writes still queued inside Vert.x when the connection closed fail with "Connection was closed".
        closed = true;
      }
    }
    return closed ? AbortCause.EOF : AbortCause.OTHER;
  }

  /** NIO surfaces the errno only as text (sun.nio.ch). */
  private static AbortCause fromNioMessage(String message) {
    if (message == null) {
      return null;
    }
    if (message.contains("Broken pipe")) {
      return AbortCause.EPIPE;
    }
    if (message.contains("Connection reset")) {
      return AbortCause.ECONNRESET;
    }
    return null;
  }
}
