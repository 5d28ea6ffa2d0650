package dev.registerservice.stall;

/**
 * The last few time intervals (nanoseconds on the detector's clock) in which something happened: stretches
 * in which the clock thread could not run, or a loop's late ticks. Written rarely (only when such an interval
 * ends), read when a stall is attributed; a fixed ring, so nothing is allocated after construction.
 */
final class Intervals {
  private final long[] starts;
  private final long[] ends;
  private int next;

  Intervals(int capacity) {
    starts = new long[capacity];
    ends = new long[capacity];
  }

  synchronized void add(long start, long end) {
    starts[next] = start;
    ends[next] = end;
    next = (next + 1) % starts.length;
  }

  /** How much of {@code [start, end]} the recorded intervals cover (overlaps between them counted once at most per interval). */
  synchronized long overlap(long start, long end) {
    long covered = 0;
    for (int i = 0; i < starts.length; i++) {
      if (ends[i] == 0) {
        continue;
      }
      long from = Math.max(start, starts[i]);
      long to = Math.min(end, ends[i]);
      if (to > from) {
        covered += to - from;
      }
    }
    return Math.min(covered, end - start);
  }
}
