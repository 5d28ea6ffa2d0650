package dev.registerservice.transport;

import io.netty.channel.ChannelPromise;

/**
 * How one traffic connection is ending, recorded in the order it happens, deciding nothing: the close our side
 * decided first ({@link #ours()}: a handler's {@link CloseReason}, a refusal, a close asked for while the
 * connection was open) and the first errno the transport reported ({@link #errno}: a failed read, or the failure
 * of the last write). A decision of ours counts only while the connection is open and before any errno, and an
 * errno only before any decision of ours: the first to happen is the truth, what follows is its consequence.
 * The verdicts are pure functions of these facts: {@link CloseReason#of}, {@link AbortCause#of}.
 *
 * <p>The write's errno needs no listener per write: Netty fails every pending write with the error that closed
 * the channel (later ones with a {@code ClosedChannelException} whose cause it is) before the channel goes
 * inactive, so the promise of the last write, kept, carries it. Used on the connection's loop only.
 */
final class ConnectionEnd {
  /** On NIO, which has no errno, reset and broken pipe are read from exception messages. */
  private final boolean nio;
  private CloseReason ours;
  private AbortCause readErrno;
  private ChannelPromise lastWrite;

  ConnectionEnd(boolean nio) {
    this.nio = nio;
  }

  /** Our side decided to end the connection for {@code why}; {@code open}: the channel is still open. */
  void decided(CloseReason why, boolean open) {
    if (ours == null && readErrno == null && open) {
      ours = why;
    }
  }

  /** A read failed with {@code cause}. */
  void readFailed(Throwable cause) {
    AbortCause errno = TransportErrors.errno(cause, nio);
    if (errno != null && ours == null && readErrno == null) {
      readErrno = errno;
    }
  }

  /**
   * A write is passed down with {@code promise}; {@code ending}: it is a response's last. Once a response's
   * last write has succeeded it is dropped (it carries no errno): an idle keep-alive connection keeps no
   * promise, nor the request context Vert.x hangs on it.
   */
  void wrote(ChannelPromise promise, boolean ending) {
    if (promise.isVoid()) {
      return;
    }
    lastWrite = promise;
    if (ending) {
      promise.addListener(written -> {
        if (written.isSuccess() && lastWrite == written) {
          lastWrite = null;
        }
      });
    }
  }

  /** Whether a write is kept for its errno (for tests). */
  boolean keepsAWrite() {
    return lastWrite != null;
  }

  /** The close our side decided first, or null. */
  CloseReason ours() {
    return ours;
  }

  /**
   * The errno the transport reported first, or null if none: the failed read's, else that of {@code failure} (a
   * response's failed write, or null), else that of the last write if it failed.
   */
  AbortCause errno(Throwable failure) {
    if (readErrno != null) {
      return readErrno;
    }
    AbortCause errno = TransportErrors.errno(failure, nio);
    if (errno == null && lastWrite != null && lastWrite.isDone()) {
      errno = TransportErrors.errno(lastWrite.cause(), nio);
    }
    return errno;
  }

  /** Why the connection ended, once it has. */
  CloseReason closeReason() {
    return CloseReason.of(ours, errno(null));
  }
}
