package dev.registerservice.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cgroup CPU reader on sample files of both formats, laid out as the kernel does, and on this machine. */
class CgroupCpuTest {
  @TempDir
  Path dir;

  @Test
  void v1CpuStatInNanoseconds() throws Exception {
    // A Kubernetes pod on cgroup v1 without a cgroup namespace: /proc/self/cgroup names the host path, the
    // mount's root is that same path.
    Path cpu = Files.createDirectories(dir.resolve("sys/fs/cgroup/cpu,cpuacct"));
    Files.writeString(cpu.resolve("cpu.stat"), "nr_periods 3021\nnr_throttled 417\nthrottled_time 52341234567\n"
        + "nr_bursts 0\nburst_time 0\n");
    Files.writeString(cpu.resolve("cpu.cfs_quota_us"), "50000\n");
    Files.writeString(cpu.resolve("cpu.cfs_period_us"), "100000\n");
    Path cgroup = Files.writeString(dir.resolve("cgroup"), "12:memory:/kubepods/pod1/abc\n4:cpu,cpuacct:/kubepods/pod1/abc\n0::/\n");
    Path mountinfo = Files.writeString(dir.resolve("mountinfo"),
        "1200 1199 0:64 / " + dir.resolve("sys/fs/cgroup") + " ro,nosuid - tmpfs tmpfs ro,mode=755\n"
        + "1205 1200 0:30 /kubepods/pod1/abc " + cpu + " ro,nosuid - cgroup cgroup rw,cpu,cpuacct\n"
        + "1206 1200 0:31 /kubepods/pod1/abc " + dir.resolve("sys/fs/cgroup/memory") + " ro - cgroup cgroup rw,memory\n");
    try (CgroupCpu reader = CgroupCpu.detect(cgroup, mountinfo).orElseThrow()) {
      assertThat(reader.version()).isEqualTo(1);
      long[] stat = new long[3];
      reader.read(stat);
      assertThat(stat).containsExactly(3021, 417, 52_341_234_567L);
      assertThat(reader.quotaCpus()).isEqualTo(0.5);
      // Counters move: the file is read again from the start, not cached.
      Files.writeString(cpu.resolve("cpu.stat"), "nr_periods 3022\nnr_throttled 418\nthrottled_time 52441234567\n");
      reader.read(stat);
      assertThat(stat).containsExactly(3022, 418, 52_441_234_567L);
      Files.writeString(cpu.resolve("cpu.cfs_quota_us"), "-1\n");
      assertThat(reader.quotaCpus()).isNaN();
    }
  }

  @Test
  void v2CpuStatInMicrosecondsUnderAHostPath() throws Exception {
    Path group = Files.createDirectories(dir.resolve("sys/fs/cgroup/kubepods.slice/pod2.slice/cri-x.scope"));
    Files.writeString(group.resolve("cpu.stat"), "usage_usec 8421137\nuser_usec 6021000\nsystem_usec 2400137\n"
        + "core_sched.force_idle_usec 0\nnr_periods 120\nnr_throttled 37\nthrottled_usec 2960451\n"
        + "nr_bursts 0\nburst_usec 0\n");
    Files.writeString(group.resolve("cpu.max"), "150000 100000\n");
    Path cgroup = Files.writeString(dir.resolve("cgroup"), "0::/kubepods.slice/pod2.slice/cri-x.scope\n");
    Path mountinfo = Files.writeString(dir.resolve("mountinfo"),
        "35 24 0:30 / " + dir.resolve("sys/fs/cgroup") + " rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2"
            + " rw,nsdelegate,memory_recursiveprot\n");
    try (CgroupCpu reader = CgroupCpu.detect(cgroup, mountinfo).orElseThrow()) {
      assertThat(reader.version()).isEqualTo(2);
      assertThat(reader.directory()).isEqualTo(group);
      long[] stat = new long[3];
      reader.read(stat);
      assertThat(stat).containsExactly(120, 37, 2_960_451_000L);
      assertThat(reader.quotaCpus()).isEqualTo(1.5);
      Files.writeString(group.resolve("cpu.max"), "max 100000\n");
      assertThat(reader.quotaCpus()).isNaN();
    }
  }

  @Test
  void metersReadTheFileAtScrapeTimeEvenAfterTheBinderIsCollected() throws Exception {
    Path group = Files.createDirectories(dir.resolve("cg"));
    Files.writeString(group.resolve("cpu.stat"), "nr_periods 10\nnr_throttled 4\nthrottled_usec 1500000\n");
    Files.writeString(group.resolve("cpu.max"), "20000 100000\n");
    Path cgroup = Files.writeString(dir.resolve("cgroup"), "0::/cg\n");
    Path mountinfo = Files.writeString(dir.resolve("mountinfo"), "35 24 0:30 / " + dir + " rw - cgroup2 cgroup2 rw\n");
    try (CgroupCpu reader = CgroupCpu.detect(cgroup, mountinfo).orElseThrow()) {
      io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
          new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
      new CpuMetrics(Optional.of(reader)).bindTo(registry);
      System.gc(); // the binder object is garbage now; the meters must not depend on it
      Files.writeString(group.resolve("cpu.stat"), "nr_periods 12\nnr_throttled 5\nthrottled_usec 2500000\n");
      String scrape = registry.scrape();
      assertThat(scrape).contains("process_cpu_periods_total 12.0", "process_cpu_throttled_periods_total 5.0",
          "process_cpu_throttled_seconds_total 2.5", "process_cpu_quota_cores 0.2", "process_cpu_seconds_total ");
    }
  }

  @Test
  void withoutACgroupTheThrottlingSeriesStillExistAtZero() {
    io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
        new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
    new CpuMetrics(Optional.empty()).bindTo(registry);
    System.gc();
    assertThat(registry.scrape()).contains("process_cpu_periods_total 0.0", "process_cpu_throttled_periods_total 0.0",
        "process_cpu_throttled_seconds_total 0.0", "process_cpu_quota_cores NaN");
  }

  @Test
  void noCpuControllerIsEmpty() throws Exception {
    Path cgroup = Files.writeString(dir.resolve("cgroup"), "0::/user.slice\n");
    Path mountinfo = Files.writeString(dir.resolve("mountinfo"),
        "35 24 0:30 / " + dir.resolve("nowhere") + " rw - cgroup2 cgroup2 rw\n");
    assertThat(CgroupCpu.detect(cgroup, mountinfo)).isEmpty();
  }

  @Test
  void parserIgnoresUnknownKeysAndMissingOnesReadZero() {
    byte[] text = "nr_bursts 4\nnr_throttled 9\n".getBytes(StandardCharsets.US_ASCII);
    long[] stat = {-1, -1, -1};
    CgroupCpu.parseStat(text, text.length, stat);
    assertThat(stat).containsExactly(0, 9, 0);
  }

  @Test
  void thisMachinesCgroupIsFoundAndReadable() {
    Optional<CgroupCpu> found = CgroupCpu.detect();
    assumeThat(found).as("this machine has a CPU cgroup to read: needs /sys/fs/cgroup mounted with a cpu"
        + " controller (v1) or cpu.max (v2); a container without /sys has none").isPresent();
    try (CgroupCpu reader = found.get()) {
      long[] stat = {-1, -1, -1};
      reader.read(stat);
      assertThat(java.util.Arrays.stream(stat).min().getAsLong()).isGreaterThanOrEqualTo(0);
      System.out.println("this machine: " + reader + ", cpu.stat " + java.util.Arrays.toString(stat)
          + ", quota " + reader.quotaCpus() + " CPUs");
    }
  }
}
