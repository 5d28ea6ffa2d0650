package dev.registerservice.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the kernel says about this process's sockets and file descriptors. */
public final class Sockets {
  private static final String TIME_WAIT = "06";
  private static final String LISTEN = "0A";

  private Sockets() {
  }

  /** Open file descriptors of this JVM (the in-process server's, and the test's own). */
  public static int openFileDescriptors() {
    String[] fds = new File("/proc/self/fd").list();
    return fds == null ? -1 : fds.length;
  }

  /** TCP sockets whose local port is {@code port}, other than the listener and TIME_WAIT, from /proc/net/tcp{,6}. */
  public static long openServerSockets(int port) throws IOException {
    String hexPort = String.format(":%04X", port);
    long count = 0;
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      for (String line : Files.readAllLines(Path.of(table))) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length < 4 || !fields[1].endsWith(hexPort)) {
          continue;
        }
        String state = fields[3];
        if (!state.equals(TIME_WAIT) && !state.equals(LISTEN)) {
          count++;
        }
      }
    }
    return count;
  }
}
