package dev.registerservice.transport;

import dev.registerservice.internal.Internals;
import dev.registerservice.transport.http1.RejectReason;
import dev.registerservice.metrics.ConnectionMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import dev.registerservice.config.ServiceConfig;
import io.vertx.core.http.HttpServerOptions;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The per-connection handlers on an {@link EmbeddedChannel}, put there by the service's own
 * {@link ConnectionHandlers#install(io.netty.channel.ChannelPipeline)} with the real {@link StrictRequestDecoder},
 * and the loop's clock under the test's control. What the handlers pass up arrives in the channel's inbound queue.
 */
final class PipelineUnderTest {
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final OpenConnections open;
  final ConnectionMetrics metrics;
  final AtomicBoolean shuttingDown = new AtomicBoolean();
  final EmbeddedChannel channel;
  private final ConnectionHandlers handlers;
  private final FailingWrites failingWrites = new FailingWrites();

  PipelineUnderTest(int headerTimeoutSeconds, int idleTimeoutSeconds, int writeTimeoutSeconds) {
    this(new OpenConnections(1_000), headerTimeoutSeconds, idleTimeoutSeconds, writeTimeoutSeconds);
  }

  /** @param open the connections open, with their cap */
  PipelineUnderTest(OpenConnections open, int headerTimeoutSeconds, int idleTimeoutSeconds, int writeTimeoutSeconds) {
    this(new EmbeddedChannel(), open, headerTimeoutSeconds, idleTimeoutSeconds, writeTimeoutSeconds);
  }

  /** The handlers installed on {@code channel}, one a listening socket's gate may have let through. */
  static PipelineUnderTest on(EmbeddedChannel channel, OpenConnections open) {
    return new PipelineUnderTest(channel, open, 0, 0, 0);
  }

  /** On a channel whose two directions shut down apart, as a TCP socket's (lingering closes need it). */
  static PipelineUnderTest duplex() {
    return new PipelineUnderTest(new DuplexEmbeddedChannel(), new OpenConnections(1_000), 0, 0, 0);
  }

  private PipelineUnderTest(EmbeddedChannel channel, OpenConnections open, int headerTimeoutSeconds,
      int idleTimeoutSeconds, int writeTimeoutSeconds) {
    this.open = open;
    this.metrics = new ConnectionMetrics(open::count);
    metrics.bindTo(registry);
    this.channel = channel;
    channel.freezeTime();
    // Stand-ins for Vert.x's decoder (replaced by the install) and its handler (messages pass on to the test).
    channel.pipeline().addLast(Internals.DECODER, new ChannelInboundHandlerAdapter());
    channel.pipeline().addLast(Internals.HANDLER, new ChannelInboundHandlerAdapter());
    handlers = new ConnectionHandlers(new ServiceConfig.Limits((int) open.cap(), 256, headerTimeoutSeconds,
        idleTimeoutSeconds, writeTimeoutSeconds), metrics, open, shuttingDown::get, new HttpServerOptions(), 65_536,
        new ServiceConfig.EventLoops(10, 100, 0)::stalled, AcceptGate.traffic(open, metrics, (server, error) -> { }));
    handlers.install(channel.pipeline());
    channel.pipeline().addFirst("failingWrites", failingWrites);
  }

  /**
   * Makes writes from now on fail as Netty's transport fails them when the kernel refuses one: the write's
   * promise fails with {@code failure}, then the channel closes itself below every handler (as for a read EOF).
   */
  void failWritesWith(Throwable failure) {
    failingWrites.failure = failure;
  }

  /** Stands for the socket at the pipeline's head. */
  private static final class FailingWrites extends ChannelOutboundHandlerAdapter {
    Throwable failure;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (failure == null) {
        ctx.write(msg, promise);
        return;
      }
      ReferenceCountUtil.release(msg);
      promise.setFailure(failure);
      ctx.channel().unsafe().close(ctx.voidPromise());
    }
  }

  /** The route table's part: the oldest undispatched request is answered, its aborts go to {@code recorder}. */
  void dispatch(AbortRecorder recorder) {
    ((ResponseAborts) channel.pipeline().get("responseAborts")).answering(recorder);
  }

  /** The connection's close tracker, as the http layer finds it. */
  ConnectionTracker tracker() {
    return channel.attr(ConnectionTracker.KEY).get();
  }

  /** The loop's deadline sweep. */
  ConnectionSweep sweep() {
    return handlers.sweepOf(channel.eventLoop());
  }

  /** The connection's inbound gate. */
  InboundGate gate() {
    return channel.attr(InboundGate.KEY).get();
  }

  void send(String bytes) {
    channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
  }

  /** Moves the loop's clock forward in steps of at most 100 ms, running what falls due, as a real loop would. */
  void advanceSeconds(double seconds) {
    long left = (long) (seconds * 1_000_000_000L);
    while (left > 0) {
      long step = Math.min(left, 100_000_000L);
      channel.advanceTimeBy(step, TimeUnit.NANOSECONDS);
      channel.runPendingTasks();
      channel.runScheduledPendingTasks();
      left -= step;
    }
  }

  /** Everything written to the socket so far, as text. */
  String written() {
    StringBuilder out = new StringBuilder();
    for (Object msg; (msg = channel.readOutbound()) != null; ) {
      if (msg instanceof ByteBuf buf) {
        out.append(buf.toString(StandardCharsets.US_ASCII));
        buf.release();
      }
    }
    return out.toString();
  }

  double closed(CloseReason reason) {
    return registry.get("http.server.connections.closed").tag("reason", reason.label()).counter().count();
  }

  double accepted() {
    return registry.get("http.server.connections.accepted").counter().count();
  }

  double closedInTotal() {
    return registry.get("http.server.connections.closed").counters().stream().mapToDouble(c -> c.count()).sum();
  }

  double rejected(RejectReason reason) {
    return registry.get("http.server.requests.rejected").tag("reason", reason.label()).counter().count();
  }
}
