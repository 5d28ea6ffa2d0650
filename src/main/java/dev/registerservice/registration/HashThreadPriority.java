package dev.registerservice.registration;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Lowers the calling thread's scheduling priority (raises its nice value) with Linux's {@code setpriority(
 * PRIO_PROCESS, gettid(), nice)}, which on Linux applies to that one thread. A hashing thread that is ready
 * to run then yields the CPU to a ready event loop 10 nice values above it (by default: CFS weight 110 against 1024),
 * yet uses every idle cycle. Raising one's own nice value needs no privilege. Where the call is not possible
 * (not Linux, JNA cannot load its native library, a seccomp filter) the thread keeps its priority: one WARN
 * for the whole process, and hashing carries on.
 */
final class HashThreadPriority {
  private static final Logger log = LogManager.getLogger(HashThreadPriority.class);
  private static final int PRIO_PROCESS = 0;
  private static final AtomicBoolean warned = new AtomicBoolean();

  private HashThreadPriority() {
  }

  /** Direct mapping: one native call each, no varargs, no per-call reflection. */
  private static final class Libc {
    static {
      Native.register("c");
    }

    static native int gettid() throws LastErrorException;

    static native int setpriority(int which, int who, int prio) throws LastErrorException;
  }

  /**
   * Lowers the calling thread's priority by {@code steps} nice values below what it has (which it inherited
   * from the process, so the loops keep the process's own priority whatever that is), at most to 19; true
   * when it took effect, false (logged once) otherwise.
   */
  static boolean lowerCurrentThread(int steps) {
    if (steps == 0) {
      return true;
    }
    int target = steps;
    try {
      target = Math.min(19, currentNice() + steps);
      Libc.setpriority(PRIO_PROCESS, Libc.gettid(), target);
      return true;
    } catch (IOException | RuntimeException | LinkageError e) {
      if (warned.compareAndSet(false, true)) {
        log.warn("Cannot lower the hashing threads' priority to nice {} ({}): they run at the process's priority,"
            + " and a registration flood can slow the event loops (REGISTER_HASH_NICE)", target, e.toString());
      }
      return false;
    }
  }

  /** The calling thread's nice value, field 19 of {@code /proc/thread-self/stat}. */
  private static int currentNice() throws IOException {
    String stat = Files.readString(Path.of("/proc/thread-self/stat"));
    // The command name (field 2) may hold spaces and parentheses: count the fields after its closing one.
    return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
  }
}
