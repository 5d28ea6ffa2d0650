package dev.registerservice.internal;

import dev.registerservice.metrics.ConnectionMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequestDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The per-connection handlers on an {@link EmbeddedChannel}, in the order {@link ConnectionHandlers} installs
 * them, with Netty's plain request decoder in place of Vert.x's, and the loop's clock under the test's control.
 */
final class PipelineUnderTest {
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final OpenConnections open;
  final ConnectionMetrics metrics;
  final AtomicBoolean shuttingDown = new AtomicBoolean();
  final InboundGate gate = new InboundGate();
  final CloseTracker tracker;
  final Exchanges exchanges;
  final EmbeddedChannel channel;
  final ConnectionSweep sweep;

  PipelineUnderTest(int headerTimeoutSeconds, int idleTimeoutSeconds, int writeTimeoutSeconds) {
    this(new OpenConnections(), 1_000, headerTimeoutSeconds, idleTimeoutSeconds, writeTimeoutSeconds);
  }

  PipelineUnderTest(OpenConnections open, int maxConnections, int headerTimeoutSeconds, int idleTimeoutSeconds,
      int writeTimeoutSeconds) {
    this.open = open;
    this.metrics = new ConnectionMetrics(open::count);
    metrics.bindTo(registry);
    tracker = new CloseTracker(metrics, open, shuttingDown::get, gate, maxConnections);
    exchanges = new Exchanges(tracker);
    channel = new EmbeddedChannel();
    channel.freezeTime();
    sweep = new ConnectionSweep(channel.eventLoop(), ConnectionSweep.periodFor(
        TimeUnit.SECONDS.toNanos(headerTimeoutSeconds), TimeUnit.SECONDS.toNanos(idleTimeoutSeconds),
        TimeUnit.SECONDS.toNanos(writeTimeoutSeconds)));
    channel.pipeline().addLast(gate);
    if (headerTimeoutSeconds > 0) {
      channel.pipeline().addLast(new HeaderTimeout(TimeUnit.SECONDS.toNanos(headerTimeoutSeconds), exchanges,
          tracker, gate, sweep));
    }
    channel.pipeline().addLast(new HttpRequestDecoder());
    channel.pipeline().addLast(tracker);
    channel.pipeline().addLast(exchanges);
    if (idleTimeoutSeconds > 0 || writeTimeoutSeconds > 0) {
      channel.pipeline().addLast(new ProgressWatchdog(TimeUnit.SECONDS.toNanos(idleTimeoutSeconds),
          TimeUnit.SECONDS.toNanos(writeTimeoutSeconds), exchanges, gate, tracker, sweep));
    }
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

  double closedInTotal() {
    return registry.get("http.server.connections.closed").counters().stream().mapToDouble(c -> c.count()).sum();
  }

  double rejected(RejectReason reason) {
    return registry.get("http.server.requests.rejected").tag("reason", reason.label()).counter().count();
  }
}
