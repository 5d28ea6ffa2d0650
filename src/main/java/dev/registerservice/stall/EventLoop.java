package dev.registerservice.stall;

import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One traffic event loop: its thread (whose name is the {@code loop} tag of every event-loop meter)
 * and the Netty executor that runs it.
 */
public record EventLoop(int index, Thread thread, EventExecutor executor) {
  public String name() {
    return thread.getName();
  }

  /** The loops of these executors, in order, each with its thread (asked of the loop itself). */
  static List<EventLoop> of(List<EventExecutor> executors) {
    List<EventLoop> loops = new ArrayList<>();
    for (EventExecutor executor : executors) {
      try {
        loops.add(new EventLoop(loops.size(), executor.submit(Thread::currentThread).get(30, TimeUnit.SECONDS),
            executor));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while listing event loops", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("cannot reach event loop " + loops.size(), e);
      }
    }
    return loops;
  }
}
