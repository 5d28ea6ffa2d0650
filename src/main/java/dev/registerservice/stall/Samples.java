package dev.registerservice.stall;

/**
 * The process-wide and per-loop evidence sampled by the clock thread on every wake-up, kept for the last
 * few seconds so that a freeze can be read between the sample just before it and the one just after.
 * Slots are allocated once and overwritten in place; only the clock thread touches them.
 */
final class Samples {
  /** One wake-up's readings. Cumulative counters: only differences between two samples mean anything. */
  static final class Sample {
    long time;
    long gcMillis;
    long throttledPeriods;
    /** The clock thread's own run-queue wait; {@code clockSchedstat} false when unread. */
    long clockWaitNanos;
    boolean clockSchedstat;
    /** The run-queue wait of the VM Thread and the busy threads together; {@code othersSchedstat} false when unread. */
    long othersWaitNanos;
    boolean othersSchedstat;
    final long[] cpuNanos;
    final long[] waitNanos;
    final boolean[] schedstat;
    /** Whether the kernel showed the loop thread asleep in a blocking call; {@code kernelState} false when unread. */
    final boolean[] inCall;
    final boolean[] kernelState;

    Sample(int loops) {
      cpuNanos = new long[loops];
      waitNanos = new long[loops];
      schedstat = new boolean[loops];
      inCall = new boolean[loops];
      kernelState = new boolean[loops];
    }
  }

  private final Sample[] ring;
  private long taken;

  Samples(int capacity, int loops) {
    ring = new Sample[capacity];
    for (int i = 0; i < capacity; i++) {
      ring[i] = new Sample(loops);
    }
  }

  /** The slot for a new sample at {@code time}, to be filled by the caller (it replaces the oldest). */
  Sample next(long time) {
    Sample sample = ring[(int) (taken % ring.length)];
    taken++;
    sample.time = time;
    return sample;
  }

  private Sample at(long n) {
    return ring[(int) (n % ring.length)];
  }

  /** The last sample taken at or before {@code time}, or the oldest one kept. Null before the first. */
  Sample before(long time) {
    long oldest = Math.max(0, taken - ring.length);
    for (long n = taken - 1; n >= oldest; n--) {
      if (at(n).time <= time) {
        return at(n);
      }
    }
    return taken == 0 ? null : at(oldest);
  }

  /**
   * Of the samples taken strictly between {@code start} and {@code end} that read {@code loop}'s kernel state,
   * how many there were ({@code into[0]}) and how many showed it asleep in a blocking call ({@code into[1]}).
   */
  void statesWithin(long start, long end, int loop, int[] into) {
    into[0] = 0;
    into[1] = 0;
    long oldest = Math.max(0, taken - ring.length);
    for (long n = taken - 1; n >= oldest && at(n).time > start; n--) {
      Sample sample = at(n);
      if (sample.time < end && sample.kernelState[loop]) {
        into[0]++;
        if (sample.inCall[loop]) {
          into[1]++;
        }
      }
    }
  }

  /** The first sample taken at or after {@code time}, or the newest one. Null before the first. */
  Sample after(long time) {
    if (taken == 0) {
      return null;
    }
    long oldest = Math.max(0, taken - ring.length);
    Sample found = at(taken - 1);
    for (long n = taken - 1; n >= oldest && at(n).time >= time; n--) {
      found = at(n);
    }
    return found;
  }
}
