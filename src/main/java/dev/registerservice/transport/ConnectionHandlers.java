package dev.registerservice.transport;

import dev.registerservice.internal.Internals;
import dev.registerservice.transport.http1.StrictRequestDecoder;
import dev.registerservice.config.ServiceConfig;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;

/**
 * Installs the per-connection handlers on every new traffic connection, in one place that names their order,
 * and is the http layer's only way to reach them. One instance per traffic verticle.
 *
 * <pre>
 *   gate              {@link InboundGate}          raw reads; drops input once closing
 *   headerTimeout     {@link HeaderTimeout}        first byte to decoded headers (408)
 *   httpDecoder       {@link StrictRequestDecoder} Vert.x's decoder plus the RFC 9112 checks
 *   httpEncoder       (Vert.x)
 *   connectionTracker {@link ConnectionTracker}    admission and the cap; how the connection ends; refusals
 *                                                  counted; lingering close
 *   exchangeState     {@link ExchangeState}        requests and responses in progress; the 400 for a late
 *                                                  malformed body; the Date header; close at shutdown
 *   responseAborts    {@link ResponseAborts}       every response that did not reach its client, on every route
 *   watchdog          {@link ProgressWatchdog}     idle and write timeouts
 *   handler           (Vert.x)
 * </pre>
 * No handler arms a timer of its own: one {@link ConnectionSweep} per event loop checks every connection's
 * deadlines four times per shortest timeout.
 */
public final class ConnectionHandlers {
  private static final String RESPONSE_ABORTS = "responseAborts";
  private final ConnectionRecorder recorder;
  private final OpenConnections open;
  private final BooleanSupplier shuttingDown;
  private final AcceptGate acceptGate;
  private final HttpServerOptions options;
  /** The write queue's bounds, one for every connection (Vert.x's setter makes one per connection). */
  private final WriteBufferWaterMark writeQueue;
  /**
   * Netty's default receive-buffer sizing (adaptive, at most 16 reads per wake-up as epoll's default), one for
   * every connection rather than one each: it holds no per-connection state (its handles do).
   */
  private static final RecvByteBufAllocator RECEIVE = new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(16);
  private final long headerTimeoutNanos;
  private final long idleTimeoutNanos;
  private final long writeTimeoutNanos;
  private final long sweepPeriodNanos;
  private final LongPredicate stalled;
  /** The deadlines of the connections of each event loop, made on a loop's first connection. */
  private final Map<EventLoop, ConnectionSweep> sweeps = new ConcurrentHashMap<>();

  /**
   * @param options the traffic server's options, which the strict decoder takes its limits from
   * @param writeQueueBytes the connection's write-queue size, set once here rather than per response
   * @param stalled whether a loop late by so many nanoseconds was stalled: that time is left out of deadlines
   * @param acceptGate the traffic port's listening-socket gate (the cap, failed accepts), installed from its first
   *     connection
   */
  public ConnectionHandlers(ServiceConfig.Limits limits, ConnectionRecorder recorder, OpenConnections open,
      BooleanSupplier shuttingDown, HttpServerOptions options, int writeQueueBytes, LongPredicate stalled,
      AcceptGate acceptGate) {
    this.acceptGate = acceptGate;
    this.stalled = stalled;
    this.recorder = recorder;
    this.open = open;
    this.shuttingDown = shuttingDown;
    this.options = options;
    this.writeQueue = new WriteBufferWaterMark(writeQueueBytes / 2, writeQueueBytes);
    this.headerTimeoutNanos = TimeUnit.SECONDS.toNanos(limits.headerTimeoutSeconds());
    this.idleTimeoutNanos = TimeUnit.SECONDS.toNanos(limits.idleTimeoutSeconds());
    this.writeTimeoutNanos = TimeUnit.SECONDS.toNanos(limits.writeTimeoutSeconds());
    this.sweepPeriodNanos = ConnectionSweep.periodFor(headerTimeoutNanos, idleTimeoutNanos, writeTimeoutNanos);
  }

  /** Vert.x calls its connection handler before the first byte is read, so nothing is decoded yet. */
  public void install(HttpConnection connection) {
    install(Internals.pipelineOf(connection));
  }

  /**
   * Puts the handlers into a pipeline that holds a decoder named {@link Internals#DECODER} (replaced by the
   * strict one) and a last handler named {@link Internals#HANDLER}: Vert.x's, or a test's on an
   * {@code EmbeddedChannel}. The handlers know each other only through the pipeline: user events
   * ({@link CloseReason}, {@link InboundGate.Discard}) and channel attributes.
   */
  void install(ChannelPipeline pipeline) {
    acceptGate.watch(pipeline);
    // Shared, where Vert.x and Netty would make one per connection: both are settings, not state.
    pipeline.channel().config().setWriteBufferWaterMark(writeQueue).setRecvByteBufAllocator(RECEIVE);
    ConnectionSweep sweep = sweepPeriodNanos == 0 ? null
        : sweeps.computeIfAbsent(pipeline.channel().eventLoop(), loop -> new ConnectionSweep(loop, sweepPeriodNanos, stalled));
    pipeline.replace(Internals.DECODER, Internals.DECODER, new StrictRequestDecoder(options));
    pipeline.addBefore(Internals.DECODER, "gate", new InboundGate());
    if (headerTimeoutNanos > 0) {
      pipeline.addBefore(Internals.DECODER, "headerTimeout", new HeaderTimeout(headerTimeoutNanos, sweep));
    }
    pipeline.addBefore(Internals.HANDLER, "connectionTracker",
        new ConnectionTracker(recorder, open, shuttingDown));
    if (!pipeline.channel().isOpen()) {
      // Over the connection cap: closed at once, nothing more to install.
      return;
    }
    pipeline.addBefore(Internals.HANDLER, "exchangeState", new ExchangeState(shuttingDown));
    pipeline.addBefore(Internals.HANDLER, RESPONSE_ABORTS, new ResponseAborts());
    if (idleTimeoutNanos > 0 || writeTimeoutNanos > 0) {
      pipeline.addBefore(Internals.HANDLER, "watchdog",
          new ProgressWatchdog(idleTimeoutNanos, writeTimeoutNanos, sweep));
    }
  }

  /** The deadlines of one loop's connections, or null before its first connection; for tests. */
  ConnectionSweep sweepOf(EventLoop loop) {
    return sweeps.get(loop);
  }

  /**
   * The route table dispatched this connection's next request: an abort of its response is counted in
   * {@code recorder} ({@link ResponseAborts}).
   */
  public static void answering(HttpConnection connection, AbortRecorder recorder) {
    ChannelPipeline pipeline = Internals.pipelineOf(connection);
    if (pipeline != null && pipeline.get(RESPONSE_ABORTS) instanceof ResponseAborts aborts) {
      aborts.answering(recorder);
    }
  }

  /**
   * Closes a connection whose response is complete while its request body is still arriving (413, 415): FIN
   * after the response, then the rest of the input is read and dropped for a bounded time, as for a protocol
   * error. Vert.x alone would either keep reading an unbounded body or close with unread input, which makes
   * the kernel send RST and can destroy the response before the client reads it.
   */
  public static void closeLingering(HttpConnection connection) {
    ConnectionTracker tracker = trackerOf(connection);
    if (tracker != null) {
      tracker.lingerOnClose();
    }
    connection.close();
  }

  private static ConnectionTracker trackerOf(HttpConnection connection) {
    ChannelPipeline pipeline = Internals.pipelineOf(connection);
    return pipeline == null ? null : pipeline.channel().attr(ConnectionTracker.KEY).get();
  }
}
