package dev.registerservice.stall;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.process.ThreadSchedstat;
import dev.registerservice.process.ThreadState;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Whether a thread sleeps in a blocking call, asked of the kernel for real threads: one in {@code Thread.sleep},
 * one blocked in a socket read, one waiting on a lock are; a Netty epoll loop waiting for events, a thread
 * spinning on the CPU and a thread parked by the JVM at a safepoint-like VM wait are not. Bound: each thread is
 * read within 10 s of reaching its state.
 */
class BlockingCallTest {
  private static final BlockingCall HERE = BlockingCall.forArch(System.getProperty("os.arch")).orElseThrow();

  /** Runs {@code body} on a new thread once it has published its kernel id; returns the thread and its state file. */
  private static Probe start(String name, Runnable body) throws Exception {
    CompletableFuture<Long> tid = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      tid.complete(ThreadSchedstat.currentThreadId().orElseThrow());
      body.run();
    }, name);
    thread.setDaemon(true);
    thread.start();
    return new Probe(thread, ThreadState.open(tid.get(10, TimeUnit.SECONDS)).orElseThrow());
  }

  private record Probe(Thread thread, ThreadState state) {
    /** Reads until the thread is {@code expected} in a blocking call, or 10 s have passed; the last verdict. */
    boolean settlesAt(boolean expected) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      boolean inCall;
      do {
        assertThat(state.read()).isTrue();
        inCall = HERE.asleepInCall(state.state(), state.syscall(), thread.getState());
        if (inCall == expected) {
          return inCall;
        }
        Thread.sleep(5);
      } while (System.nanoTime() < deadline);
      return inCall;
    }

    /** Reads until the kernel says the thread sleeps ('S'), or 10 s have passed; whether it did. */
    boolean readsAsleep() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      do {
        assertThat(state.read()).isTrue();
        if (state.state() == 'S') {
          return true;
        }
        Thread.sleep(5);
      } while (System.nanoTime() < deadline);
      return false;
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void sleepSocketReadsAndLocksAreBlockingCalls() throws Exception {
    Probe sleeper = start("sleeper", () -> {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(sleeper.settlesAt(true)).as("Thread.sleep").isTrue();
    sleeper.thread().interrupt();

    try (ServerSocket server = new ServerSocket(0); Socket client = new Socket("127.0.0.1", server.getLocalPort());
        Socket accepted = server.accept()) {
      Probe reader = start("reader", () -> {
        try (InputStream in = accepted.getInputStream()) {
          in.read();
        } catch (Exception e) {
          // The socket closes at the end of the test.
        }
      });
      assertThat(reader.settlesAt(true)).as("a blocking socket read").isTrue();
      client.getOutputStream().write(1);
    }

    Object lock = new Object();
    CountDownLatch release = new CountDownLatch(1);
    synchronized (lock) {
      Probe waiter = start("waiter", () -> {
        synchronized (lock) {
          release.countDown();
        }
      });
      assertThat(waiter.settlesAt(true)).as("a contended monitor").isTrue();
    }
    assertThat(release.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void anEpollLoopWaitingForEventsAndAThreadOnTheCpuAreNot() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      CompletableFuture<Long> tid = new CompletableFuture<>();
      CompletableFuture<Thread> loopThread = new CompletableFuture<>();
      group.next().execute(() -> {
        loopThread.complete(Thread.currentThread());
        tid.complete(ThreadSchedstat.currentThreadId().orElseThrow());
      });
      Probe loop = new Probe(loopThread.get(10, TimeUnit.SECONDS),
          ThreadState.open(tid.get(10, TimeUnit.SECONDS)).orElseThrow());
      // The verdict is read when the loop is asleep in epoll_wait ('S'), not while it still runs the task above
      // ('R', which is trivially not a blocking call): the test reads what it means to.
      assertThat(loop.readsAsleep()).as("the idle loop asleep in epoll_wait within 10 s").isTrue();
      assertThat(HERE.asleepInCall(loop.state().state(), loop.state().syscall(), loop.thread().getState()))
          .as("an idle epoll loop").isFalse();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    AtomicBoolean spin = new AtomicBoolean(true);
    Probe spinner = start("spinner", () -> {
      while (spin.get()) {
        Thread.onSpinWait();
      }
    });
    assertThat(spinner.settlesAt(false)).as("a thread on the CPU").isFalse();
    spin.set(false);
  }

  @Test
  void aFutexOfARunnableThreadIsTheJvmsNotABlockingCall() {
    BlockingCall x86 = BlockingCall.forArch("amd64").orElseThrow();
    assertThat(x86.asleepInCall('S', 202, Thread.State.RUNNABLE)).isFalse();
    assertThat(x86.asleepInCall('S', 202, Thread.State.TIMED_WAITING)).isTrue();
    assertThat(x86.asleepInCall('S', 202, Thread.State.BLOCKED)).isTrue();
    assertThat(x86.asleepInCall('D', 0, Thread.State.RUNNABLE)).isTrue();
    assertThat(x86.asleepInCall('S', 232, Thread.State.RUNNABLE)).isFalse();
    assertThat(x86.asleepInCall('S', 281, Thread.State.RUNNABLE)).isFalse();
    assertThat(x86.asleepInCall('S', 441, Thread.State.RUNNABLE)).isFalse();
    assertThat(x86.asleepInCall('R', 0, Thread.State.RUNNABLE)).isFalse();
    assertThat(x86.asleepInCall('T', 0, Thread.State.RUNNABLE)).isFalse();
    assertThat(x86.asleepInCall('S', ThreadState.NO_SYSCALL, Thread.State.RUNNABLE)).isFalse();
    BlockingCall arm = BlockingCall.forArch("aarch64").orElseThrow();
    assertThat(arm.asleepInCall('S', 22, Thread.State.RUNNABLE)).isFalse();
    assertThat(arm.asleepInCall('S', 98, Thread.State.RUNNABLE)).isFalse();
    assertThat(arm.asleepInCall('S', 98, Thread.State.WAITING)).isTrue();
    assertThat(BlockingCall.forArch("s390x")).isEmpty();
  }
}
