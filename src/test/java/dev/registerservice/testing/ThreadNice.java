package dev.registerservice.testing;

import com.sun.jna.LastErrorException;
import dev.registerservice.process.ThreadSchedstat;

/**
 * Sets the calling thread's nice value (Linux {@code setpriority} on its thread id), for a test that must hold
 * a CPU against busy processes beside it, as the stall tests pin and renice their hogs. Raising the priority
 * needs {@code CAP_SYS_NICE}, which CI has (it runs as root).
 */
public final class ThreadNice {
  private ThreadNice() {
  }

  /** Whether the kernel set it. */
  public static boolean setCurrentThread(int nice) {
    long tid = ThreadSchedstat.currentThreadId().orElseThrow();
    try {
      Libc.C.setpriority(Libc.PRIO_PROCESS, (int) tid, nice);
      return true;
    } catch (LastErrorException e) {
      return false;
    }
  }
}
