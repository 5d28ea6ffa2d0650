package dev.registerservice.process;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the kernel says one thread is doing right now: its scheduler state from {@code /proc/self/task/<tid>/stat}
 * ({@code R} running or ready, {@code S} asleep, {@code D} in uninterruptible sleep, {@code T}/{@code t} stopped)
 * and the system call it sits in from {@code /proc/self/task/<tid>/syscall} (its number, or none while it runs
 * in user space). Both files stay open and are re-read from offset 0 into reused buffers: {@link #read} allocates
 * nothing. Absent where {@code /proc} or the {@code syscall} file is missing: {@link #open} is then empty.
 */
public final class ThreadState implements AutoCloseable {
  /** The system call number read when the thread is in none (it runs, or {@code syscall} said "running"). */
  public static final int NO_SYSCALL = -1;

  private final ProcFile stat;
  private final ProcFile syscall;
  private char state;
  private int call;

  private ThreadState(ProcFile stat, ProcFile syscall) {
    this.stat = stat;
    this.syscall = syscall;
  }

  /** The state files of thread {@code tid} of this process, or empty when they cannot be read. */
  public static Optional<ThreadState> open(long tid) {
    return open(Path.of("/proc/self/task/" + tid));
  }

  /** As {@link #open(long)}, from a directory holding {@code stat} and {@code syscall} (tests give copies). */
  public static Optional<ThreadState> open(Path task) {
    try {
      ThreadState state = new ThreadState(new ProcFile(task.resolve("stat"), 512),
          new ProcFile(task.resolve("syscall"), 256));
      if (state.read()) {
        return Optional.of(state);
      }
      state.close();
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Reads both files; false when either could not be read (closed, or the thread ended). Then see the getters. */
  public synchronized boolean read() {
    int length = stat.read();
    char read = length < 0 ? 0 : parseState(stat.bytes(), length);
    if (read == 0) {
      return false;
    }
    length = syscall.read();
    if (length < 0) {
      return false;
    }
    state = read;
    call = parseSyscall(syscall.bytes(), length);
    return true;
  }

  /** The state letter of the last {@link #read}. */
  public synchronized char state() {
    return state;
  }

  /** The system call number of the last {@link #read}, or {@link #NO_SYSCALL}. */
  public synchronized int syscall() {
    return call;
  }

  /**
   * The state letter of a {@code stat} line, "PID (COMM) STATE ...": the first letter after the last ')' (a
   * thread's name may hold spaces and parentheses); 0 when there is none.
   */
  static char parseState(byte[] text, int length) {
    int close = -1;
    for (int i = 0; i < length; i++) {
      if (text[i] == ')') {
        close = i;
      }
    }
    for (int i = close + 1; close >= 0 && i < length; i++) {
      if (text[i] != ' ') {
        return (char) text[i];
      }
    }
    return 0;
  }

  /**
   * The number that starts a {@code syscall} line ("202 0x... ..."); {@link #NO_SYSCALL} for "running" or "-1 ..."
   * (not in a system call).
   */
  static int parseSyscall(byte[] text, int length) {
    int value = 0;
    int i = 0;
    while (i < length && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
      i++;
    }
    return i == 0 ? NO_SYSCALL : value;
  }

  @Override
  public synchronized void close() {
    stat.close();
    syscall.close();
  }
}
