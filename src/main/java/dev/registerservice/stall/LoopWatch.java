package dev.registerservice.stall;

import dev.registerservice.config.ServiceConfig;
import dev.registerservice.internal.Internals;
import dev.registerservice.process.CgroupCpu;
import dev.registerservice.process.CpuMetrics;
import dev.registerservice.process.ThreadSchedstat;
import dev.registerservice.process.ThreadState;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.vertx.core.Vertx;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Everything that watches the traffic loops, built and closed in one place: the lag probe, the stall
 * detector, and the readers they share (each loop thread's schedstat, the process's CPU cgroup), which it
 * creates and therefore closes. It runs whether metrics are on or off (readiness asks it whether a loop is
 * stalled); its meters, and the process's CPU meters that read its cgroup, exist once it is bound.
 */
public final class LoopWatch implements MeterBinder, AutoCloseable {
  private static final Logger log = LogManager.getLogger(LoopWatch.class);

  private final List<EventLoop> loops;
  private final Optional<CgroupCpu> cgroup;
  private final List<Optional<ThreadSchedstat>> schedstats;
  private final List<Optional<ThreadState>> states;
  private final EvidenceSampler sampler;
  private final StallDetector stalls;
  private final ProcessClock clock;
  private final LoopLagProbe lag;

  private LoopWatch(List<EventLoop> loops, Optional<CgroupCpu> cgroup, List<Optional<ThreadSchedstat>> schedstats,
      List<Optional<ThreadState>> states, EvidenceSampler sampler, StallDetector stalls, ProcessClock clock,
      LoopLagProbe lag) {
    this.clock = clock;
    this.states = states;
    this.sampler = sampler;
    this.loops = loops;
    this.cgroup = cgroup;
    this.schedstats = schedstats;
    this.stalls = stalls;
    this.lag = lag;
  }

  /**
   * Builds the watch of {@code traffic}'s loops (one probe per loop, checked); nothing runs until {@link #start()}.
   *
   * @param busyThreads kernel ids of the service's threads that compute for long stretches (hashing), whose
   *     run-queue wait tells a safepoint stretched by starvation from a stopped process
   */
  public static LoopWatch create(Vertx traffic, int expectedLoops, ServiceConfig.EventLoops config,
      List<Long> busyThreads) {
    List<EventLoop> loops = EventLoop.of(Internals.eventLoops(traffic));
    verifyOneProbePerLoop(loops, expectedLoops);
    Optional<CgroupCpu> cgroup = CgroupCpu.detect();
    List<Optional<Long>> tids = loops.stream().map(LoopWatch::kernelThreadId).toList();
    List<Optional<ThreadSchedstat>> schedstats = tids.stream().map(tid -> tid.flatMap(ThreadSchedstat::open)).toList();
    List<Optional<ThreadState>> states = tids.stream().map(tid -> tid.flatMap(ThreadState::open)).toList();
    if (schedstats.stream().anyMatch(Optional::isEmpty)) {
      log.warn("No /proc schedstat for some event-loop threads: their stalls cannot be told apart as starved,"
          + " blocked or stopped, and eventloop_cpu_seconds_total is absent for them");
    } else if (states.stream().anyMatch(Optional::isEmpty)) {
      log.warn("No /proc state or syscall file for some event-loop threads: a loop asleep in a blocking call"
          + " cannot be told from one held off the CPU, so such stalls count as unknown, not blocked");
    }
    StallLog stallLog = new StallLog(loops.size(), config.stallThresholdMs(), System::nanoTime);
    EvidenceSampler sampler = new EvidenceSampler(new GcPauses(), cgroup, schedstats,
        loops.stream().map(EventLoop::thread).toList(), states, busyThreads);
    // The clock drives the detector and the detector reads the clock's lateness: made in that order, tied here.
    // The clock thread wakes every check interval and remembers its own lateness of a quarter threshold or more.
    StallDetector[] detector = new StallDetector[1];
    ProcessClock clock = new ProcessClock("eventloop-stall-clock", System::nanoTime, config.checkIntervalNanos(),
        config.thresholdNanos() / 4, now -> detector[0].settle(now));
    StallDetector stalls = new StallDetector(loops, config, System::nanoTime, Internals::taskStart, sampler::fill,
        clock::lateWithin, stallLog);
    detector[0] = stalls;
    Internals.onBlockedThread(traffic, stalls::onBlocked);
    LoopLagProbe lag = new LoopLagProbe(loops, config.lagProbeIntervalMs(), System::nanoTime, stalls,
        loop -> Internals.pendingTasks(loop.executor()));
    return new LoopWatch(loops, cgroup, schedstats, states, sampler, stalls, clock, lag);
  }

  /** The loop thread's kernel id: only known on the thread itself. */
  private static Optional<Long> kernelThreadId(EventLoop loop) {
    try {
      return loop.executor().submit(ThreadSchedstat::currentThreadId).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  /** One probe per event loop, each on its own thread: otherwise some loop's stalls would go unseen. */
  private static void verifyOneProbePerLoop(List<EventLoop> loops, int expected) {
    HashSet<Thread> threads = new HashSet<>();
    loops.forEach(loop -> threads.add(loop.thread()));
    if (loops.size() != expected || threads.size() != expected) {
      throw new IllegalStateException("expected " + expected + " event loops on distinct threads, found " + loops.size()
          + " loops on " + threads.size() + " threads");
    }
    log.info("Event-loop lag probes: one per loop on {} distinct threads {}", threads.size(),
        loops.stream().map(EventLoop::name).toList());
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    lag.bindTo(registry);
    new StallMetrics(loops, stalls, schedstats).bindTo(registry);
    new CpuMetrics(cgroup).bindTo(registry);
  }

  /** Starts the lag probes (bind first, or their lag goes unrecorded). */
  public void start() {
    lag.start();
  }

  /** Starts counting stalls: freezes before this (deploying loads classes for a few hundred ms) are start-up. */
  public void arm() {
    stalls.arm();
    clock.start();
  }

  /** True while some traffic loop is blocked longer than the threshold right now. */
  public boolean anyLoopStalled() {
    return stalls.anyLoopStalled();
  }

  /** The 99th percentile of lag over the last ten seconds on the worst loop, in milliseconds. */
  public double worstRecentP99Millis() {
    return lag.worstRecentP99Millis();
  }

  @Override
  public void close() {
    lag.stop();
    clock.stop();
    sampler.close();
    schedstats.forEach(schedstat -> schedstat.ifPresent(ThreadSchedstat::close));
    states.forEach(state -> state.ifPresent(ThreadState::close));
    cgroup.ifPresent(CgroupCpu::close);
  }
}
