package dev.registerservice.aborts;

import static org.awaitility.Awaitility.await;

import dev.registerservice.testing.NativeClient;
import java.io.IOException;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * How a client leaves in the middle of an exchange, done for real on a loopback socket with plain libc calls,
 * as a C client (siege, curl) does. The same client runs against the service and against the
 * {@link dev.registerservice.testing.KernelReference}, which says what the kernel reports for it.
 */
enum AbortKind {
  /** Reads 64 KiB of the answer, then resets (SO_LINGER 0). */
  RESET_MID_BODY,
  /** Reads the header section only, then closes with unread data: the kernel sends RST (siege's Ctrl-C). */
  CLOSE_WITH_UNREAD_DATA,
  /** Sends the request, then FIN and close before reading anything (the original strace's EPIPE). */
  CLOSE_AFTER_REQUEST,
  /** Reads nothing until the server is paused on backpressure, then resets. */
  RESET_WHILE_PAUSED,
  /** Sends the request and resets at once, before any answer (a registration still hashing). */
  RESET_AFTER_REQUEST;

  /**
   * Sends {@code request} to {@code port} and leaves this way. {@code paused} says when the server has stopped
   * writing because this client does not read (only {@link #RESET_WHILE_PAUSED} asks it).
   */
  void run(int port, String request, BooleanSupplier paused) throws IOException {
    NativeClient client = new NativeClient(port);
    try {
      client.send(request);
      switch (this) {
        case RESET_MID_BODY -> {
          client.read(64 * 1024);
          client.reset();
        }
        case CLOSE_WITH_UNREAD_DATA -> {
          client.readHeaderSection();
          client.close();
        }
        case CLOSE_AFTER_REQUEST -> client.finAndClose();
        case RESET_WHILE_PAUSED -> {
          await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(paused::getAsBoolean);
          client.reset();
        }
        case RESET_AFTER_REQUEST -> client.reset();
        default -> throw new IllegalArgumentException(name());
      }
    } finally {
      client.close();
    }
  }
}
