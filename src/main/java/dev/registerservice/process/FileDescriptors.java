package dev.registerservice.process;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;

/**
 * The process's file descriptors as the kernel counts them: the limit ({@code RLIMIT_NOFILE}'s soft value, as
 * the JVM left it: by default it raises the soft limit to the hard one at start, {@code -XX:+MaxFDLimit}) and
 * how many are open. The same figures as {@code process_files_max_files} and {@code process_files_open_files}.
 */
public final class FileDescriptors {
  /** What the reads return where the platform does not say (not a Unix JVM). */
  public static final long UNKNOWN = -1;

  private FileDescriptors() {
  }

  public static long limit() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
        ? unix.getMaxFileDescriptorCount() : UNKNOWN;
  }

  public static long open() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
        ? unix.getOpenFileDescriptorCount() : UNKNOWN;
  }
}
