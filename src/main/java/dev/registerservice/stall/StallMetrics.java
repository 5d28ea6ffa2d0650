package dev.registerservice.stall;

import dev.registerservice.process.ThreadSchedstat;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Optional;

/**
 * Per loop: its stalls by cause ({@code eventloop_stalls_total}), and from its thread's schedstat its CPU
 * time and its time waiting for a CPU ({@code eventloop_cpu_seconds_total}, {@code eventloop_cpu_wait_seconds_total}),
 * so that contention shows before it becomes a stall. The CPU counters are absent for a loop whose schedstat
 * cannot be read. All read at scrape time from objects the {@link LoopWatch} keeps for the life of the service
 * (Micrometer holds a function counter's object weakly).
 */
final class StallMetrics implements MeterBinder {
  private final List<EventLoop> loops;
  private final StallDetector detector;
  private final List<Optional<ThreadSchedstat>> schedstats;

  StallMetrics(List<EventLoop> loops, StallDetector detector, List<Optional<ThreadSchedstat>> schedstats) {
    this.loops = loops;
    this.detector = detector;
    this.schedstats = schedstats;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (EventLoop loop : loops) {
      for (StallCause cause : StallCause.values()) {
        FunctionCounter.builder("eventloop.stalls", detector, d -> d.count(loop.index(), cause))
            .description("Freezes of the event loop longer than the stall threshold (REGISTER_STALL_THRESHOLD_MS),"
                + " one per freeze, by cause: gc, throttled (CPU quota), starved (waited for a CPU), blocked (ran"
                + " our code, or one task slept), paused (the whole process stood still), unknown")
            .tag("loop", loop.name())
            .tag("cause", cause.label())
            .register(registry);
      }
      schedstats.get(loop.index()).ifPresent(schedstat -> {
        FunctionCounter.builder("eventloop.cpu", schedstat, s -> s.value(ThreadSchedstat.CPU_NANOS) / 1e9)
            .baseUnit("seconds")
            .description("CPU time the event loop's thread ran (its /proc schedstat)")
            .tag("loop", loop.name())
            .register(registry);
        FunctionCounter.builder("eventloop.cpu.wait", schedstat, s -> s.value(ThreadSchedstat.WAIT_NANOS) / 1e9)
            .baseUnit("seconds")
            .description("Time the event loop's thread was ready to run but waited on a run queue for a CPU (its"
                + " /proc schedstat run_delay); its rate is the share of time the loop was starved")
            .tag("loop", loop.name())
            .register(registry);
      });
    }
  }
}
