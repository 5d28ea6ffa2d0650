package dev.registerservice.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The CPU controller of the cgroup this process runs in: its {@code cpu.stat} throttling counters and its
 * quota, on cgroup v1 ({@code cpu.cfs_quota_us}, {@code cpu.cfs_period_us}, {@code throttled_time} in ns)
 * and v2 ({@code cpu.max}, {@code throttled_usec}). Found from {@code /proc/self/cgroup} and
 * {@code /proc/self/mountinfo}, so it works in a container (cgroup namespace, path "/") and on a host.
 *
 * <p>{@link #read(long[])} keeps {@code cpu.stat} open and re-reads it from offset 0 into a reused buffer
 * (cgroup files are regenerated on every read from the start), so sampling allocates nothing.
 * Limits: only the process's own cgroup is read; a quota set on a parent cgroup throttles it too, but the
 * counters of that parent are not seen.
 */
public final class CgroupCpu implements AutoCloseable {
  /** Indexes into the array {@link #read(long[])} fills. */
  public static final int PERIODS = 0;
  public static final int THROTTLED_PERIODS = 1;
  public static final int THROTTLED_NANOS = 2;

  private static final byte[] NR_PERIODS = bytes("nr_periods");
  private static final byte[] NR_THROTTLED = bytes("nr_throttled");
  private static final byte[] THROTTLED_TIME = bytes("throttled_time");
  private static final byte[] THROTTLED_USEC = bytes("throttled_usec");

  private final int version;
  private final Path directory;
  private final ProcFile stat;
  private final long[] scrape = new long[3];

  private CgroupCpu(int version, Path directory) throws IOException {
    this.version = version;
    this.directory = directory;
    this.stat = new ProcFile(directory.resolve("cpu.stat"), 4096);
  }

  /** The CPU cgroup of this process, or empty when there is none with throttling counters. */
  public static Optional<CgroupCpu> detect() {
    return detect(Path.of("/proc/self/cgroup"), Path.of("/proc/self/mountinfo"));
  }

  /** As {@link #detect()}, from the given copies of {@code /proc/self/cgroup} and {@code /proc/self/mountinfo}. */
  public static Optional<CgroupCpu> detect(Path procCgroup, Path mountinfo) {
    try {
      List<String> memberships = Files.readAllLines(procCgroup);
      List<String> mounts = Files.readAllLines(mountinfo);
      // v1 first: on a hybrid host the v2 hierarchy exists but holds no cpu controller.
      for (String line : memberships) {
        String[] parts = line.split(":", 3);
        if (parts.length == 3 && List.of(parts[1].split(",")).contains("cpu")) {
          Optional<Path> dir = resolve(mounts, parts[2], false);
          if (dir.isPresent() && Files.isReadable(dir.get().resolve("cpu.cfs_quota_us"))) {
            return Optional.of(new CgroupCpu(1, dir.get()));
          }
        }
      }
      for (String line : memberships) {
        String[] parts = line.split(":", 3);
        if (parts.length == 3 && parts[0].equals("0") && parts[1].isEmpty()) {
          Optional<Path> dir = resolve(mounts, parts[2], true);
          if (dir.isPresent() && Files.isReadable(dir.get().resolve("cpu.max"))) {
            return Optional.of(new CgroupCpu(2, dir.get()));
          }
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The directory of {@code cgroupPath} under the mount of its hierarchy (mountinfo fields: root, mount point, fs type, options). */
  private static Optional<Path> resolve(List<String> mounts, String cgroupPath, boolean v2) {
    for (String mount : mounts) {
      String[] halves = mount.split(" - ", 2);
      if (halves.length != 2) {
        continue;
      }
      String[] fields = halves[0].split(" ");
      String[] tail = halves[1].split(" ");
      if (fields.length < 5 || tail.length < 3) {
        continue;
      }
      boolean match = v2 ? tail[0].equals("cgroup2")
          : tail[0].equals("cgroup") && List.of(tail[2].split(",")).contains("cpu");
      if (!match) {
        continue;
      }
      String root = fields[3];
      String relative;
      if (root.equals("/")) {
        relative = cgroupPath;
      } else if (cgroupPath.equals(root) || cgroupPath.startsWith(root + "/")) {
        relative = cgroupPath.substring(root.length());
      } else {
        // A container without a cgroup namespace may list a path outside the mounted root: the mount is its own.
        relative = "";
      }
      return Optional.of(Path.of(fields[4], relative.replaceFirst("^/+", "")));
    }
    return Optional.empty();
  }

  public int version() {
    return version;
  }

  public Path directory() {
    return directory;
  }

  /**
   * Reads {@code cpu.stat} into {@code into} ({@link #PERIODS}, {@link #THROTTLED_PERIODS},
   * {@link #THROTTLED_NANOS}). Thread-safe; allocates nothing.
   */
  public synchronized void read(long[] into) {
    int length = stat.read();
    if (length >= 0) {
      parseStat(stat.bytes(), length, into);
    }
    // else closed at shutdown: keep the last values
  }

  /** One counter of {@code cpu.stat}, read now (for the meters, at scrape time). */
  public synchronized double value(int index) {
    read(scrape);
    return scrape[index];
  }

  /** Parses a {@code cpu.stat} (v1 or v2) held in {@code text[0..length)}; missing keys read as 0. */
  public static void parseStat(byte[] text, int length, long[] into) {
    into[PERIODS] = 0;
    into[THROTTLED_PERIODS] = 0;
    into[THROTTLED_NANOS] = 0;
    int line = 0;
    while (line < length) {
      int space = line;
      while (space < length && text[space] != ' ' && text[space] != '\n') {
        space++;
      }
      long value = 0;
      int i = space + 1;
      while (i < length && text[i] >= '0' && text[i] <= '9') {
        value = value * 10 + (text[i] - '0');
        i++;
      }
      if (is(text, line, space, NR_PERIODS)) {
        into[PERIODS] = value;
      } else if (is(text, line, space, NR_THROTTLED)) {
        into[THROTTLED_PERIODS] = value;
      } else if (is(text, line, space, THROTTLED_TIME)) {
        into[THROTTLED_NANOS] = value;
      } else if (is(text, line, space, THROTTLED_USEC)) {
        into[THROTTLED_NANOS] = value * 1_000;
      }
      while (i < length && text[i] != '\n') {
        i++;
      }
      line = i + 1;
    }
  }

  private static boolean is(byte[] text, int from, int to, byte[] key) {
    if (to - from != key.length) {
      return false;
    }
    for (int i = 0; i < key.length; i++) {
      if (text[from + i] != key[i]) {
        return false;
      }
    }
    return true;
  }

  /** The quota in CPUs (quota / period), or NaN when unlimited or unreadable. Reads the files on each call. */
  public double quotaCpus() {
    try {
      if (version == 1) {
        long quota = Long.parseLong(Files.readString(directory.resolve("cpu.cfs_quota_us")).trim());
        long period = Long.parseLong(Files.readString(directory.resolve("cpu.cfs_period_us")).trim());
        return quota <= 0 || period <= 0 ? Double.NaN : (double) quota / period;
      }
      return parseCpuMax(Files.readString(directory.resolve("cpu.max")));
    } catch (IOException | NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** {@code cpu.max} is "QUOTA PERIOD" in microseconds, QUOTA "max" when unlimited. */
  static double parseCpuMax(String text) {
    String[] parts = text.trim().split("\\s+");
    if (parts.length != 2 || parts[0].equals("max")) {
      return Double.NaN;
    }
    long quota = Long.parseLong(parts[0]);
    long period = Long.parseLong(parts[1]);
    return period <= 0 ? Double.NaN : (double) quota / period;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public synchronized void close() {
    stat.close();
  }

  @Override
  public String toString() {
    return "cgroup v" + version + " " + directory;
  }
}
