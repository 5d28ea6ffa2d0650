package dev.registerservice.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the kernel's scheduler says about one thread: {@code /proc/self/task/<tid>/schedstat}, three numbers
 * since the thread started: nanoseconds on a CPU, nanoseconds waiting on a run queue (ready to run, no CPU
 * given) and time slices. A thread that is stopped (SIGSTOP) or sleeps grows neither of the first two.
 *
 * <p>The file stays open and is re-read from offset 0 into a reused buffer (proc files are regenerated on
 * every read), so {@link #read(long[])} allocates nothing. Absent where the kernel has no
 * {@code CONFIG_SCHED_INFO} or {@code /proc} is not mounted: {@link #open} is then empty.
 */
public final class ThreadSchedstat implements AutoCloseable {
  /** Indexes into the array {@link #read(long[])} fills. */
  public static final int CPU_NANOS = 0;
  public static final int WAIT_NANOS = 1;
  public static final int SLICES = 2;

  private final ProcFile file;
  private final long[] scrape = new long[3];

  private ThreadSchedstat(ProcFile file) {
    this.file = file;
  }

  /**
   * The calling thread's id as the kernel knows it, from {@code /proc/thread-self} (a link to
   * {@code <pid>/task/<tid>}); no native call needed. Empty where that link does not exist (kernels before 3.17).
   */
  public static Optional<Long> currentThreadId() {
    try {
      Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
      return Optional.of(Long.parseLong(link.getFileName().toString()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The id of the first thread of this process whose name, as the kernel shows it in
   * {@code /proc/self/task/<tid>/comm}, is {@code name} (for example the JVM's {@code VM Thread}); empty when
   * there is none or {@code /proc} cannot be read.
   */
  public static Optional<Long> threadIdNamed(String name) {
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      return tasks.filter(task -> {
        try {
          return Files.readString(task.resolve("comm")).strip().equals(name);
        } catch (IOException | RuntimeException gone) {
          return false;
        }
      }).map(task -> Long.parseLong(task.getFileName().toString())).findFirst();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The schedstat of thread {@code tid} of this process, or empty when it cannot be read. */
  public static Optional<ThreadSchedstat> open(long tid) {
    return open(Path.of("/proc/self/task/" + tid + "/schedstat"));
  }

  /** As {@link #open(long)}, from the given file (tests give a copy). */
  public static Optional<ThreadSchedstat> open(Path file) {
    try {
      ThreadSchedstat stat = new ThreadSchedstat(new ProcFile(file, 128));
      long[] probe = new long[3];
      return stat.read(probe) ? Optional.of(stat) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Reads the file into {@code into} ({@link #CPU_NANOS}, {@link #WAIT_NANOS}, {@link #SLICES}). Thread-safe;
   * allocates nothing. False (and {@code into} untouched) when it could not be read: closed, or the thread ended.
   */
  public synchronized boolean read(long[] into) {
    int length = file.read();
    return length >= 0 && parse(file.bytes(), length, into);
  }

  /** One of the three numbers, read now (for the meters, at scrape time); NaN when unreadable. */
  public synchronized double value(int index) {
    return read(scrape) ? scrape[index] : Double.NaN;
  }

  /** Parses "CPU WAIT SLICES\n" held in {@code text[0..length)}; false unless all three numbers are there. */
  public static boolean parse(byte[] text, int length, long[] into) {
    int i = 0;
    long cpu = 0;
    long wait = 0;
    long slices = 0;
    for (int field = 0; field < 3; field++) {
      while (i < length && text[i] == ' ') {
        i++;
      }
      int start = i;
      long value = 0;
      while (i < length && text[i] >= '0' && text[i] <= '9') {
        value = value * 10 + (text[i] - '0');
        i++;
      }
      if (i == start) {
        return false;
      }
      if (field == 0) {
        cpu = value;
      } else if (field == 1) {
        wait = value;
      } else {
        slices = value;
      }
    }
    into[CPU_NANOS] = cpu;
    into[WAIT_NANOS] = wait;
    into[SLICES] = slices;
    return true;
  }

  @Override
  public synchronized void close() {
    file.close();
  }
}
