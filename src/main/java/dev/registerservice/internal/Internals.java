package dev.registerservice.internal;

import dev.registerservice.metrics.EventLoop;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelPipeline;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.impl.VertxThread;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.spi.VertxThreadFactory;
import io.vertx.core.transport.Transport;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.impl.VertxConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/** Uses of Vert.x internal API, each for a reason the public API cannot serve. */
public final class Internals {
  private static final String WATCH = "registerConnectionWatch";
  private static final String FIRST_BYTE = "registerFirstByte";
  /** The name Vert.x gives its HTTP/1.x request decoder in the pipeline. */
  private static final String DECODER = "httpDecoder";

  private Internals() {
  }

  /**
   * The traffic event loops with their threads. Vert.x 5 does not expose its Netty event-loop group
   * publicly; the lag probe must schedule on each loop itself, not on a context that may share one.
   */
  public static List<EventLoop> eventLoops(Vertx vertx) {
    List<EventLoop> loops = new ArrayList<>();
    for (EventExecutor executor : ((VertxInternal) vertx).nettyEventLoopGroup()) {
      try {
        Thread thread = executor.submit(Thread::currentThread).get();
        loops.add(new EventLoop(loops.size(), thread, executor));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while listing event loops", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("cannot reach event loop", e.getCause());
      }
    }
    return loops;
  }

  /** Netty's queue depth for a loop; the stock Netty gauge has different tags, so we export our own. */
  public static double pendingTasks(EventLoop loop) {
    return loop.executor() instanceof SingleThreadEventExecutor
        ? ((SingleThreadEventExecutor) loop.executor()).pendingTasks()
        : Double.NaN;
  }

  /**
   * Replaces the blocked-thread checker's logging with our handler (thread, blocked nanos). The checker's
   * interval and limits are set through the public {@code VertxOptions}; only this hook is internal.
   */
  public static void onBlockedThread(Vertx vertx, BiConsumer<Thread, Long> handler) {
    ((VertxInternal) vertx).blockedThreadChecker()
        .setThreadBlockedHandler(event -> handler.accept(event.thread(), event.duration()));
  }

  /**
   * When the task a Vert.x thread runs now started ({@code System.nanoTime()}), 0 when it runs none: Vert.x
   * records it on the thread for its blocked-thread checker. Lets the stall detector tell whether a stack it
   * sampled still belongs to the blocking task.
   */
  public static long taskStart(Thread thread) {
    return thread instanceof VertxThread ? ((VertxThread) thread).startTime() : 0;
  }

  /**
   * A slice of a shared, pre-rendered direct buffer as a Vert.x Buffer. Unreleasable, so Netty never frees
   * the page under other responses; Vert.x's public {@code Buffer.buffer(..)} would copy it to the heap,
   * and epoll then copies heap buffers back to direct memory on every write.
   */
  public static Buffer sharedSlice(ByteBuf page, int offset, int length) {
    return BufferInternal.buffer(Unpooled.unreleasableBuffer(page.slice(offset, length)));
  }

  /**
   * Puts a {@link ConnectionWatch} on a new HTTP/1.x connection: its first-byte handler before the HTTP
   * decoder, the watch itself right before Vert.x's own handler (after the idle-state handler, so it sees
   * idle events first, and where Vert.x's closes pass through it). Swaps Vert.x's request decoder for the
   * {@link StrictRequestDecoder}, and sets the connection's write-queue size once rather than per response.
   * Vert.x calls the connection handler before the first byte is read, so nothing is decoded yet.
   */
  public static void watch(HttpConnection connection, ConnectionWatch watch, HttpServerOptions options,
      int writeQueueBytes) {
    VertxConnection conn = (VertxConnection) connection;
    conn.doSetWriteQueueMaxSize(writeQueueBytes);
    ChannelPipeline pipeline = conn.channelHandlerContext().pipeline();
    pipeline.replace(DECODER, DECODER, new StrictRequestDecoder(options));
    pipeline.addBefore(DECODER, FIRST_BYTE, watch.firstByteHandler());
    pipeline.addBefore("handler", WATCH, watch);
    // Issue 14: a Date header on every response, and a 400 for a chunked body found malformed after its head.
    pipeline.addBefore("handler", "registerResponseDate", ResponseDate.INSTANCE);
    pipeline.addBefore("handler", "registerMalformedBody", new MalformedBodyAnswer());
  }

  /**
   * Closes a connection whose response is complete while its request body is still arriving (413, 415):
   * FIN after the response, then the rest of the input is read and discarded for a bounded time, as for a
   * protocol error. Vert.x alone would either keep reading an unbounded body or close with unread input,
   * which makes the kernel send RST and can destroy the response before the client reads it.
   */
  public static void closeLingering(HttpConnection connection) {
    ConnectionWatch watch = watchOf(connection);
    if (watch != null) {
      watch.lingerOnClose();
    }
    connection.close();
  }

  /** The watch installed on a connection, or null (metrics off, or not a traffic connection). */
  public static ConnectionWatch watchOf(HttpConnection connection) {
    if (!(connection instanceof VertxConnection)) {
      return null;
    }
    return (ConnectionWatch) ((VertxConnection) connection).channelHandlerContext().pipeline().get(WATCH);
  }

  /**
   * A Vert.x instance whose threads are named {@code management-...}, so that log lines and thread dumps
   * never confuse the management loop with traffic loop 0. Vert.x 5's public builder has no thread-name
   * option; this is the builder's own bootstrap with a thread factory added.
   */
  public static Vertx managementVertx(VertxOptions options) {
    VertxThreadFactory names = new VertxThreadFactory() {
      @Override
      public VertxThread newVertxThread(Runnable target, String name, boolean worker, long maxExecTime,
          TimeUnit maxExecTimeUnit) {
        return new VertxThread(target, "management-" + name, worker, maxExecTime, maxExecTimeUnit);
      }
    };
    Transport transport = options.getPreferNativeTransport() ? Transport.nativeTransport() : null;
    return VertxBootstrap.create()
        .options(options)
        .threadFactory(names)
        .transport((transport == null ? Transport.NIO : transport).implementation())
        .init()
        .vertx();
  }

  public static String vertxVersion() {
    return VertxInternal.version();
  }
}
