package dev.registerservice.stall;

import dev.registerservice.process.ThreadState;
import java.util.Optional;

/**
 * Whether a loop thread, as the kernel and the JVM show it at one instant, sleeps in a blocking call: the kernel
 * has it asleep ({@code S} or {@code D}) inside a system call that is not the loop's own wait for events
 * ({@code epoll_wait}, {@code epoll_pwait}, {@code epoll_pwait2}), and not a futex the JVM parks a running
 * thread on (a safepoint, a VM lock: its Java state stays {@code RUNNABLE}). So {@code Thread.sleep}, a lock
 * ({@code BLOCKED}, {@code WAITING}), blocking socket or file I/O count; waiting for a CPU ({@code R}), being
 * stopped ({@code T}) or held at a safepoint do not. A pure function; the system call numbers are the
 * architecture's.
 */
final class BlockingCall {
  /** Linux x86-64 ({@code arch/x86/entry/syscalls/syscall_64.tbl}). */
  static final BlockingCall X86_64 = new BlockingCall(new int[] {232, 281, 441}, 202);
  /** Linux arm64 (the generic table: no {@code epoll_wait}). */
  static final BlockingCall AARCH64 = new BlockingCall(new int[] {22, 441}, 98);

  /** The numbers of the event-loop waits on this architecture. */
  private final int[] epollWaits;
  private final int futex;

  private BlockingCall(int[] epollWaits, int futex) {
    this.epollWaits = epollWaits;
    this.futex = futex;
  }

  /** The numbers of the architecture the JVM runs on ({@code os.arch}); empty for one not listed. */
  static Optional<BlockingCall> forArch(String osArch) {
    return switch (osArch) {
      case "amd64", "x86_64" -> Optional.of(X86_64);
      case "aarch64", "arm64" -> Optional.of(AARCH64);
      default -> Optional.empty();
    };
  }

  boolean asleepInCall(char state, int syscall, Thread.State java) {
    if ((state != 'S' && state != 'D') || syscall == ThreadState.NO_SYSCALL) {
      return false;
    }
    for (int wait : epollWaits) {
      if (syscall == wait) {
        return false;
      }
    }
    return syscall != futex || java != Thread.State.RUNNABLE;
  }
}
