package dev.registerservice.registration;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Lowers the calling thread's scheduling priority (raises its nice value) with Linux's {@code setpriority(
 * PRIO_PROCESS, gettid(), nice)}, which on Linux applies to that one thread. A hashing thread that is ready
 * to run then yields the CPU to a ready event loop of nice 0 (CFS weight 110 against 1024 at nice 10), yet
 * uses every idle cycle. Raising one's own nice value needs no privilege. Where the call is not possible
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

  /** Sets the calling thread's nice value; true when it took effect, false (logged once) otherwise. */
  static boolean lowerCurrentThread(int nice) {
    if (nice == 0) {
      return true;
    }
    try {
      Libc.setpriority(PRIO_PROCESS, Libc.gettid(), nice);
      return true;
    } catch (LastErrorException | LinkageError | UnsupportedOperationException e) {
      if (warned.compareAndSet(false, true)) {
        log.warn("Cannot lower the hashing threads' priority to nice {} ({}): they run at the process's priority,"
            + " and a registration flood can slow the event loops (REGISTER_HASH_NICE)", nice, e.toString());
      }
      return false;
    }
  }
}
