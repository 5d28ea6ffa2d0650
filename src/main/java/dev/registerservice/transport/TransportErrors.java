package dev.registerservice.transport;

import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * The errno in a failed write or read, if it has one: read from the native transport's exception, or (on NIO
 * only, which has no errno) from the text of the exception's message. Next to the transport because it reads
 * the transport's exception types; {@link ConnectionTracker} records what it returns.
 */
final class TransportErrors {
  private TransportErrors() {
  }

  /**
   * {@link AbortCause#EPIPE}, {@link AbortCause#ECONNRESET} or {@link AbortCause#OTHER} (another errno) for a
   * failure that carries the kernel's errno; null for one that does not (the connection was closed already, by
   * a FIN or by our side; a handler's exception), and for null. Epoll
   * failures carry the errno in a {@link Errors.NativeIoException} somewhere in the cause chain (writes made
   * after the failure wrap it in a {@link ClosedChannelException}). {@code nio}: the connection is on the NIO
   * transport, whose {@code IOException}s say "Broken pipe" or "Connection reset" only in their message; on
   * epoll the message is never read.
   */
  static AbortCause errno(Throwable failure, boolean nio) {
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
      if (nio && t instanceof IOException) {
        AbortCause fromMessage = fromNioMessage(t.getMessage());
        if (fromMessage != null) {
          return fromMessage;
        }
      }
    }
    return null;
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
