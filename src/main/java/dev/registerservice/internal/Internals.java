package dev.registerservice.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
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
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.impl.VertxConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/** Uses of Vert.x internal API, each for a reason the public API cannot serve. */
public final class Internals {
  /** The name Vert.x gives its HTTP/1.x request decoder in the pipeline. */
  public static final String DECODER = "httpDecoder";
  /** The name of Vert.x's own connection handler, last in the pipeline. */
  public static final String HANDLER = "handler";

  private Internals() {
  }

  /**
   * The traffic event loops. Vert.x 5 does not expose its Netty event-loop group publicly; the lag probe must
   * schedule on each loop itself, not on a context that may share one.
   */
  public static List<EventExecutor> eventLoops(Vertx vertx) {
    List<EventExecutor> loops = new ArrayList<>();
    ((VertxInternal) vertx).nettyEventLoopGroup().forEach(loops::add);
    return loops;
  }

  /** Netty's queue depth for a loop; the stock Netty gauge has different tags, so we export our own. */
  public static double pendingTasks(EventExecutor loop) {
    return loop instanceof SingleThreadEventExecutor
        ? ((SingleThreadEventExecutor) loop).pendingTasks()
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
   * The Netty pipeline of a Vert.x connection, or null for a connection that is not one of ours. Vert.x 5 has no
   * public access to a connection's pipeline; the per-connection handlers ({@link ConnectionHandlers}), the
   * strict decoder and the listening sockets' gates need it.
   */
  public static ChannelPipeline pipelineOf(HttpConnection connection) {
    return connection instanceof VertxConnection conn ? conn.channelHandlerContext().pipeline() : null;
  }

  /**
   * Netty's queue of writes not yet taken by the kernel, through {@code Channel.Unsafe}: the write timeout
   * watches whether its head moves. No public API says how far a queued write has got.
   */
  public static ChannelOutboundBuffer outboundBuffer(Channel channel) {
    return channel.unsafe().outboundBuffer();
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
