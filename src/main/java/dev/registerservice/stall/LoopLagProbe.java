package dev.registerservice.stall;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * Measures how late each traffic event loop runs a task it was asked to run at a fixed time.
 *
 * <p>Each loop runs a one-shot task that re-arms itself: a periodic timer would catch up back-to-back after
 * a stall and hide it, while a one-shot's lateness is exactly how long the loop was busy. Records into
 * {@code eventloop_lag_seconds{loop}} and keeps the last ten seconds of samples for the readiness check.
 */
public final class LoopLagProbe implements MeterBinder {
  private static final Duration[] BUCKETS = {
      Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10)};
  private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** Told after every tick, on the loop's own thread. */
  public interface TickListener {
    /** @param now when the tick ran, on the probe's clock */
    void onTick(int loop, long now, long lagNanos);
  }

  private final List<Probe> probes;
  private final LongSupplier nanoTime;
  private final ToDoubleFunction<EventLoop> pendingTasks;
  private volatile boolean stopped;

  /**
   * @param nanoTime the clock of the lag ({@code System::nanoTime}), the same as the listener's
   * @param listener told after every tick, on the loop's thread
   */
  public LoopLagProbe(List<EventLoop> loops, long intervalMillis, LongSupplier nanoTime, TickListener listener,
      ToDoubleFunction<EventLoop> pendingTasks) {
    long intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
    int windowSize = (int) Math.max(1, WINDOW_NANOS / intervalNanos);
    this.nanoTime = nanoTime;
    this.pendingTasks = pendingTasks;
    this.probes = loops.stream().map(loop -> new Probe(loop, intervalNanos, windowSize, listener)).toList();
  }

  /** Registers each loop's lag timer, pending-task gauge and overdue gauge; unbound, lag goes unrecorded. */
  @Override
  public void bindTo(MeterRegistry registry) {
    for (Probe probe : probes) {
      probe.timer = Timer.builder("eventloop.lag")
          .description("How late a task scheduled on the event loop ran (timer drift), recorded when it runs;"
              + " _max is the worst lag of the last 2 minutes (a rotating window: a value stays 80 to 120 s)")
          .tag("loop", probe.loop.name())
          .serviceLevelObjectives(BUCKETS)
          .distributionStatisticExpiry(Duration.ofMinutes(2))
          .distributionStatisticBufferLength(3)
          .register(registry);
      Gauge.builder("eventloop.pending.tasks", probe.loop, pendingTasks)
          .description("Tasks queued on the event loop, waiting to run")
          .tag("loop", probe.loop.name())
          .register(registry);
      Gauge.builder("eventloop.overdue", probe, Probe::overdueSeconds)
          .description("How long the loop's next probe task is overdue right now: grows while the loop is frozen"
              + " or blocked, where eventloop_lag_seconds only records once the loop runs again")
          .baseUnit("seconds")
          .tag("loop", probe.loop.name())
          .register(registry);
    }
  }

  public void start() {
    probes.forEach(Probe::arm);
  }

  public void stop() {
    stopped = true;
  }

  /** The 99th percentile of lag over the last ten seconds on the worst loop, in milliseconds. */
  public double worstRecentP99Millis() {
    double worst = 0;
    for (Probe probe : probes) {
      worst = Math.max(worst, probe.recentP99Nanos() / 1e6);
    }
    return worst;
  }

  private final class Probe implements Runnable {
    private final EventLoop loop;
    /** Set once when bound, before the probes start. */
    private Timer timer;
    private final long intervalNanos;
    private final TickListener listener;
    private final AtomicLongArray window;
    private int next;
    /** When the next tick should run; volatile for the overdue gauge, read at scrape time. */
    private volatile long due;

    Probe(EventLoop loop, long intervalNanos, int windowSize, TickListener listener) {
      this.loop = loop;
      this.intervalNanos = intervalNanos;
      this.listener = listener;
      this.window = new AtomicLongArray(windowSize);
    }

    void arm() {
      due = nanoTime.getAsLong() + intervalNanos;
      loop.executor().schedule(this, intervalNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
      if (stopped) {
        return;
      }
      long now = nanoTime.getAsLong();
      long lag = Math.max(0, now - due);
      if (timer != null) {
        timer.record(lag, TimeUnit.NANOSECONDS);
      }
      window.lazySet(next, lag);
      next = (next + 1) % window.length();
      listener.onTick(loop.index(), now, lag);
      arm();
    }

    double overdueSeconds() {
      long scheduled = due;
      return scheduled == 0 || stopped ? 0 : Math.max(0, nanoTime.getAsLong() - scheduled) / 1e9;
    }

    long recentP99Nanos() {
      long[] samples = new long[window.length()];
      for (int i = 0; i < samples.length; i++) {
        samples[i] = window.get(i);
      }
      Arrays.sort(samples);
      return samples[(int) Math.ceil(samples.length * 0.99) - 1];
    }
  }
}
