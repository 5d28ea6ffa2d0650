package dev.registerservice.stall;

import io.netty.util.concurrent.EventExecutor;

/**
 * One traffic event loop: its thread (whose name is the {@code loop} tag of every event-loop meter)
 * and the Netty executor that runs it.
 */
public record EventLoop(int index, Thread thread, EventExecutor executor) {
  public String name() {
    return thread.getName();
  }
}
