package dev.registerservice.transport;

import io.netty.channel.unix.Errors;
import java.io.IOException;

/**
 * Why the kernel refused to accept a connection: by the errno of the failed {@code accept4(2)} (Linux numbers,
 * the same on x86-64 and arm64), or on NIO, which has no errno, by the message text. A {@code label} each.
 */
public enum AcceptError {
  /** The process's file-descriptor limit ({@code RLIMIT_NOFILE}). */
  EMFILE("emfile", 24, "Too many open files"),
  /** The system-wide file limit ({@code fs.file-max}). */
  ENFILE("enfile", 23, "Too many open files in system"),
  /** No socket buffer memory. */
  ENOBUFS("enobufs", 105, "No buffer space available"),
  ENOMEM("enomem", 12, "Cannot allocate memory"),
  OTHER("other", 0, null);

  private final String label;
  private final int errno;
  private final String message;

  AcceptError(String label, int errno, String message) {
    this.label = label;
    this.errno = errno;
    this.message = message;
  }

  public String label() {
    return label;
  }

  /** What a failed accept's exception says, from the errno in its cause chain, or {@link #OTHER}. */
  static AcceptError of(Throwable failure, boolean nio) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof Errors.NativeIoException nativeFailure) {
        return ofErrno(-nativeFailure.expectedErr());
      }
      if (nio && t instanceof IOException && t.getMessage() != null) {
        // "in system" first: the per-process message is a prefix of it.
        for (AcceptError error : new AcceptError[] {ENFILE, EMFILE, ENOBUFS, ENOMEM}) {
          if (t.getMessage().contains(error.message)) {
            return error;
          }
        }
      }
    }
    return OTHER;
  }

  static AcceptError ofErrno(int errno) {
    for (AcceptError error : values()) {
      if (error != OTHER && error.errno == errno) {
        return error;
      }
    }
    return OTHER;
  }
}
