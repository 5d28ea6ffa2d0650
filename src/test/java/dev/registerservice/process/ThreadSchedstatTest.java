package dev.registerservice.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The schedstat reader on a recorded file, and on this thread's own where {@code /proc} has one. */
class ThreadSchedstatTest {

  @Test
  void parsesTheThreeNumbersAndRejectsATruncatedLine() {
    long[] into = new long[3];
    byte[] line = "7426934 16252064 4\n".getBytes(StandardCharsets.US_ASCII);
    assertThat(ThreadSchedstat.parse(line, line.length, into)).isTrue();
    assertThat(into).containsExactly(7_426_934L, 16_252_064L, 4L);
    byte[] cut = "7426934 1625".getBytes(StandardCharsets.US_ASCII);
    assertThat(ThreadSchedstat.parse(cut, cut.length, into)).isFalse();
    assertThat(into).as("left untouched").containsExactly(7_426_934L, 16_252_064L, 4L);
  }

  @Test
  void readsAFileAgainOnEveryRead(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("schedstat");
    Files.writeString(file, "100 200 3\n");
    ThreadSchedstat stat = ThreadSchedstat.open(file).orElseThrow();
    Files.writeString(file, "150 900 5\n");
    long[] into = new long[3];
    assertThat(stat.read(into)).isTrue();
    assertThat(into).containsExactly(150L, 900L, 5L);
    assertThat(stat.value(ThreadSchedstat.WAIT_NANOS)).isEqualTo(900.0);
    stat.close();
    assertThat(stat.read(into)).as("closed").isFalse();
    assertThat(stat.value(ThreadSchedstat.CPU_NANOS)).isNaN();
    assertThat(ThreadSchedstat.open(dir.resolve("absent"))).isEmpty();
  }

  @Test
  void thisThreadsCpuTimeGrowsWhileItRuns() {
    Optional<Long> tid = ThreadSchedstat.currentThreadId();
    assumeThat(tid).as("needs /proc/thread-self (Linux 3.17+, /proc mounted)").isPresent();
    Optional<ThreadSchedstat> opened = ThreadSchedstat.open(tid.get());
    assumeThat(opened).as("needs /proc/self/task/<tid>/schedstat (CONFIG_SCHED_INFO)").isPresent();
    try (ThreadSchedstat stat = opened.get()) {
      long[] before = new long[3];
      long[] after = new long[3];
      assertThat(stat.read(before)).isTrue();
      long spin = 0;
      for (int i = 0; i < 20_000_000; i++) {
        spin += i ^ spin;
      }
      assertThat(stat.read(after)).isTrue();
      assertThat(after[ThreadSchedstat.CPU_NANOS]).as("spun %d", spin).isGreaterThan(before[ThreadSchedstat.CPU_NANOS]);
    }
  }

  @Test
  void findsTheJvmsVmThreadByTheNameTheKernelShows() {
    Optional<Long> self = ThreadSchedstat.currentThreadId();
    assumeThat(self).as("needs /proc/thread-self (Linux 3.17+, /proc mounted)").isPresent();
    // The stall attribution reads the VM Thread's schedstat (it begins and ends every safepoint).
    Optional<Long> vmThread = ThreadSchedstat.threadIdNamed("VM Thread");
    assertThat(vmThread).isPresent().get().isNotEqualTo(self.get());
    assertThat(vmThread.flatMap(ThreadSchedstat::open)).isPresent();
    assertThat(ThreadSchedstat.threadIdNamed("no such thread")).isEmpty();
  }
}
