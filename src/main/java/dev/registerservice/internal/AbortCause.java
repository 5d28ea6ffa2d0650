package dev.registerservice.internal;

import io.netty.channel.unix.Errors;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
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

  /**
   * Classifies a failed write or end Future. Epoll failures carry the errno in a
   * {@link Errors.NativeIoException} somewhere in the cause chain (later writes wrap it in a
   * {@link ClosedChannelException}); the message text is only consulted for NIO, which has no errno.
   */
  public static AbortCause of(Throwable failure) {
    boolean closed = false;
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof Errors.NativeIoException) {
        int errno = ((Errors.NativeIoException) t).expectedErr();
        if (errno == Errors.ERRNO_EPIPE_NEGATIVE) {
          return EPIPE;
        }
        if (errno == Errors.ERRNO_ECONNRESET_NEGATIVE) {
          return ECONNRESET;
        }
        return OTHER;
      }
      if (t instanceof HttpClosedException || t instanceof ClosedChannelException) {
        closed = true;
      } else if (t instanceof IOException) {
        AbortCause nio = fromNioMessage(t.getMessage());
        if (nio != null) {
          return nio;
        }
      } else if (t instanceof VertxException && t.getCause() == null) {
        // Writes still queued inside Vert.x when the connection closed fail with "Connection was closed".
        closed = true;
      }
    }
    return closed ? EOF : OTHER;
  }

  /** NIO surfaces the errno only as text (sun.nio.ch); epoll never reaches this. */
  private static AbortCause fromNioMessage(String message) {
    if (message == null) {
      return null;
    }
    if (message.contains("Broken pipe")) {
      return EPIPE;
    }
    if (message.contains("Connection reset")) {
      return ECONNRESET;
    }
    return null;
  }
}
