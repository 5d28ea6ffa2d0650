package dev.registerservice.stall;

import dev.registerservice.process.CgroupCpu;
import dev.registerservice.process.ThreadSchedstat;
import java.util.List;
import java.util.Optional;

/**
 * Reads the evidence the clock thread samples on every wake-up: the JVM's GC pause time, the cgroup's
 * throttled periods, each loop thread's schedstat, the clock thread's own and that of the JVM's VM Thread
 * (which begins and ends every safepoint: when it waits for a CPU, a safepoint lasts longer and every Java
 * thread stands still with it). It closes only what it opened (the clock's and the VM Thread's schedstat),
 * nothing it was given.
 * Allocates nothing.
 */
public final class EvidenceSampler implements AutoCloseable {
  private final GcPauses gc;
  private final Optional<CgroupCpu> cgroup;
  private final List<Optional<ThreadSchedstat>> schedstats;
  private final long[] stat = new long[3];
  /** The clock thread's own schedstat, opened on its first sample (its tid is only known on it), closed here. */
  private volatile Optional<ThreadSchedstat> clock;
  private final Optional<ThreadSchedstat> vmThread = ThreadSchedstat.threadIdNamed("VM Thread")
      .flatMap(ThreadSchedstat::open);

  /** @param schedstats one per loop, by loop index; empty where it could not be opened */
  public EvidenceSampler(GcPauses gc, Optional<CgroupCpu> cgroup, List<Optional<ThreadSchedstat>> schedstats) {
    this.gc = gc;
    this.cgroup = cgroup;
    this.schedstats = schedstats;
  }

  void fill(Samples.Sample sample) {
    if (clock == null) {
      clock = ThreadSchedstat.currentThreadId().flatMap(ThreadSchedstat::open);
    }
    sample.clockSchedstat = clock.isPresent() && clock.get().read(stat);
    if (sample.clockSchedstat) {
      sample.clockWaitNanos = stat[ThreadSchedstat.WAIT_NANOS];
    }
    sample.vmSchedstat = vmThread.isPresent() && vmThread.get().read(stat);
    if (sample.vmSchedstat) {
      sample.vmWaitNanos = stat[ThreadSchedstat.WAIT_NANOS];
    }
    sample.gcMillis = gc.collectionMillis();
    if (cgroup.isPresent()) {
      cgroup.get().read(stat);
      sample.throttledPeriods = stat[CgroupCpu.THROTTLED_PERIODS];
    }
    for (int loop = 0; loop < schedstats.size(); loop++) {
      Optional<ThreadSchedstat> schedstat = schedstats.get(loop);
      sample.schedstat[loop] = schedstat.isPresent() && schedstat.get().read(stat);
      if (sample.schedstat[loop]) {
        sample.cpuNanos[loop] = stat[ThreadSchedstat.CPU_NANOS];
        sample.waitNanos[loop] = stat[ThreadSchedstat.WAIT_NANOS];
      }
    }
  }

  @Override
  public void close() {
    Optional<ThreadSchedstat> opened = clock;
    if (opened != null) {
      opened.ifPresent(ThreadSchedstat::close);
    }
    vmThread.ifPresent(ThreadSchedstat::close);
  }
}
