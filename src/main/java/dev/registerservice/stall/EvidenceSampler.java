package dev.registerservice.stall;

import dev.registerservice.process.CgroupCpu;
import dev.registerservice.process.ThreadSchedstat;
import dev.registerservice.process.ThreadState;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the evidence the clock thread samples on every wake-up: the JVM's GC pause time, the cgroup's
 * throttled periods, each loop thread's schedstat and whether the kernel has it asleep in a blocking call
 * ({@link BlockingCall}: its state and system call, with its Java state), the clock thread's own schedstat, and
 * the run-queue wait of the
 * JVM's VM Thread and of the service's busy threads (hashing) together: a safepoint begins and ends on the VM
 * Thread and waits for every running Java thread to reach it, so when those wait for a CPU the safepoint
 * lasts longer and every loop stands still with it. It closes only what it opened, nothing it was given.
 * Allocates nothing.
 */
public final class EvidenceSampler implements AutoCloseable {
  private final GcPauses gc;
  private final Optional<CgroupCpu> cgroup;
  private final List<Optional<ThreadSchedstat>> schedstats;
  private final List<Thread> threads;
  private final List<Optional<ThreadState>> states;
  private final Optional<BlockingCall> blockingCall;
  private final long[] stat = new long[3];
  /** The clock thread's own schedstat, opened on its first sample (its tid is only known on it), closed here. */
  private volatile Optional<ThreadSchedstat> clock;
  /** The VM Thread and the busy threads; empty when any of them could not be opened. */
  private final List<ThreadSchedstat> others;

  /**
   * @param schedstats one per loop, by loop index; empty where it could not be opened
   * @param threads the loop threads, by loop index
   * @param states each loop thread's kernel state, by loop index; empty where it could not be opened
   * @param busyThreads kernel ids of threads of the service that compute for long stretches (hashing)
   */
  public EvidenceSampler(GcPauses gc, Optional<CgroupCpu> cgroup, List<Optional<ThreadSchedstat>> schedstats,
      List<Thread> threads, List<Optional<ThreadState>> states, List<Long> busyThreads) {
    this.gc = gc;
    this.cgroup = cgroup;
    this.schedstats = schedstats;
    this.threads = threads;
    this.states = states;
    this.blockingCall = BlockingCall.forArch(System.getProperty("os.arch"));
    List<Optional<ThreadSchedstat>> opened = new ArrayList<>();
    opened.add(ThreadSchedstat.threadIdNamed("VM Thread").flatMap(ThreadSchedstat::open));
    busyThreads.forEach(tid -> opened.add(ThreadSchedstat.open(tid)));
    List<ThreadSchedstat> others = opened.stream().flatMap(Optional::stream).toList();
    if (others.size() < opened.size()) {
      others.forEach(ThreadSchedstat::close);
      others = List.of();
    }
    this.others = others;
  }

  void fill(Samples.Sample sample) {
    if (clock == null) {
      clock = ThreadSchedstat.currentThreadId().flatMap(ThreadSchedstat::open);
    }
    sample.clockSchedstat = clock.isPresent() && clock.get().read(stat);
    if (sample.clockSchedstat) {
      sample.clockWaitNanos = stat[ThreadSchedstat.WAIT_NANOS];
    }
    sample.othersSchedstat = !others.isEmpty();
    sample.othersWaitNanos = 0;
    for (int i = 0; i < others.size() && sample.othersSchedstat; i++) {
      sample.othersSchedstat = others.get(i).read(stat);
      sample.othersWaitNanos += stat[ThreadSchedstat.WAIT_NANOS];
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
      Optional<ThreadState> state = states.get(loop);
      sample.kernelState[loop] = blockingCall.isPresent() && state.isPresent() && state.get().read();
      sample.inCall[loop] = sample.kernelState[loop] && blockingCall.get().asleepInCall(state.get().state(),
          state.get().syscall(), threads.get(loop).getState());
    }
  }

  @Override
  public void close() {
    Optional<ThreadSchedstat> opened = clock;
    if (opened != null) {
      opened.ifPresent(ThreadSchedstat::close);
    }
    others.forEach(ThreadSchedstat::close);
  }
}
