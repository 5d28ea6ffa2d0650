package dev.registerservice.testing;

/** A stop-the-world pause longer than the stall threshold, made by this (test) JVM's own collector. */
public final class LargeHeap {
  private LargeHeap() {
  }

  /**
   * Makes about 6 million live objects and runs a full collection: marking and compacting them takes far
   * longer than 100 ms. Returns the objects, so that the caller keeps them live for as long as it needs.
   */
  public static Object[][] fullCollection() {
    Object[][] live = new Object[6_000][];
    for (int i = 0; i < live.length; i++) {
      live[i] = new Object[1_000];
      for (int j = 0; j < live[i].length; j++) {
        live[i][j] = new int[] {i, j};
      }
    }
    System.gc();
    return live;
  }
}
