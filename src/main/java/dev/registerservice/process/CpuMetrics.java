package dev.registerservice.process;

import com.sun.management.OperatingSystemMXBean;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.management.ManagementFactory;
import java.util.Optional;

/**
 * CPU time in Prometheus's convention ({@code process_cpu_seconds_total}: Micrometer only has the sampled
 * {@code process_cpu_usage} gauge and a counter in nanoseconds that promtool rejects), and the cgroup's CPU
 * throttling, so that a dashboard shows throttling from the service's own scrape, without cAdvisor.
 */
public final class CpuMetrics implements MeterBinder {
  /** What the throttling meters read where there is no CPU cgroup; a constant, so never collected. */
  private static final Object NO_CGROUP = new Object();

  private final Optional<CgroupCpu> cgroup;

  public CpuMetrics(Optional<CgroupCpu> cgroup) {
    this.cgroup = cgroup;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
      FunctionCounter.builder("process.cpu", os, bean -> bean.getProcessCpuTime() / 1e9)
          .baseUnit("seconds")
          .description("CPU time the process used, user and system, all threads")
          .register(registry);
    }
    // Micrometer holds a function counter's object weakly: these read the CgroupCpu itself, which its owner
    // (the LoopWatch) keeps for the life of the service (a short-lived binder object would be collected,
    // freezing the counters at their last value). Without a cgroup (no /sys/fs/cgroup mounted, no cpu
    // controller) the same series exist and read 0 (quota NaN): the scrape keeps one shape everywhere.
    Object source = cgroup.isPresent() ? cgroup.get() : NO_CGROUP;
    FunctionCounter.builder("process.cpu.throttled", source, c -> read(c, CgroupCpu.THROTTLED_NANOS) / 1e9)
        .baseUnit("seconds")
        .description("Time the process's cgroup was throttled by its CPU quota (cpu.stat throttled_time or"
            + " throttled_usec; summed over CPUs, so it can grow faster than wall time); 0 where no CPU cgroup is found")
        .register(registry);
    FunctionCounter.builder("process.cpu.throttled.periods", source, c -> read(c, CgroupCpu.THROTTLED_PERIODS))
        .baseUnit("periods")
        .description("CFS periods in which the process's cgroup used up its CPU quota and was throttled"
            + " (cpu.stat nr_throttled)")
        .register(registry);
    FunctionCounter.builder("process.cpu.periods", source, c -> read(c, CgroupCpu.PERIODS))
        .baseUnit("periods")
        .description("CFS periods in which the process's cgroup was runnable under a CPU quota (cpu.stat"
            + " nr_periods); throttled_periods / periods is the share of periods throttled")
        .register(registry);
    Gauge.builder("process.cpu.quota", source, c -> c instanceof CgroupCpu cpu ? cpu.quotaCpus() : Double.NaN)
        .baseUnit("cores")
        .description("CPU quota of the process's cgroup in CPUs (quota / period); NaN when unlimited or no"
            + " CPU cgroup is found")
        .register(registry);
  }

  private static double read(Object source, int index) {
    return source instanceof CgroupCpu cpu ? cpu.value(index) : 0;
  }
}
