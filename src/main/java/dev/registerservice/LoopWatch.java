package dev.registerservice;

import dev.registerservice.config.ServiceConfig;
import dev.registerservice.internal.Internals;
import dev.registerservice.lifecycle.StartupException;
import dev.registerservice.metrics.EventLoop;
import dev.registerservice.metrics.GcPauses;
import dev.registerservice.metrics.LoopLagProbe;
import dev.registerservice.metrics.StallDetector;
import dev.registerservice.process.CgroupCpu;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** The lag probe and the stall detector of the traffic loops, which run only with metrics on. */
record LoopWatch(LoopLagProbe lag, StallDetector stalls) {
  private static final Logger log = LogManager.getLogger(LoopWatch.class);

  static LoopWatch start(Vertx traffic, PrometheusMeterRegistry registry, List<EventLoop> loops,
      int expectedLoops, ServiceConfig.EventLoops config, Optional<CgroupCpu> cgroup) {
    // The stall detector also keeps the cgroup reader alive, which the CPU meters read weakly.
    StallDetector stalls = new StallDetector(registry, loops, config.stallThresholdMs(), Internals::taskStart,
        new GcPauses(), cgroup);
    Internals.onBlockedThread(traffic, stalls::onBlocked);
    LoopLagProbe lag = new LoopLagProbe(registry, loops, config.lagProbeIntervalMs(), stalls,
        Internals::pendingTasks);
    verifyOneProbePerLoop(loops, expectedLoops);
    lag.start();
    return new LoopWatch(lag, stalls);
  }

  void stop() {
    lag.stop();
    stalls.close();
  }

  /** One probe per event loop, each on its own thread: otherwise some loop's stalls would go unseen. */
  private static void verifyOneProbePerLoop(List<EventLoop> loops, int expected) {
    HashSet<Thread> threads = new HashSet<>();
    loops.forEach(loop -> threads.add(loop.thread()));
    if (loops.size() != expected || threads.size() != expected) {
      throw new StartupException("expected " + expected + " event loops on distinct threads, found " + loops.size()
          + " loops on " + threads.size() + " threads");
    }
    log.info("Event-loop lag probes: one per loop on {} distinct threads {}", threads.size(),
        loops.stream().map(EventLoop::name).toList());
  }
}
