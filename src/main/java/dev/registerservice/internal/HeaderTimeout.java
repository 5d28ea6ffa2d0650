package dev.registerservice.internal;

import dev.registerservice.metrics.CloseReason;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The request-header timeout (slowloris): from a request's first byte to its decoded header section. Sits
 * before the HTTP decoder, where it sees the first byte; learns that the headers are complete from the
 * request count of {@link Exchanges}, after the decoder. Idle keep-alive connections are left to the idle
 * timeout, and bytes of a request body never start it. On expiry: a raw 408, input dropped, close.
 *
 * <p>One timer per connection, re-armed only when it fires: a request whose headers complete in time costs a
 * clock read, not a scheduled task.
 */
final class HeaderTimeout extends ChannelInboundHandlerAdapter {
  private static final byte[] REQUEST_TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
      + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

  private final long timeoutNanos;
  private final Exchanges exchanges;
  private final CloseTracker tracker;
  private final InboundGate gate;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> timer;
  private boolean waiting;
  /** When the first byte of the request we wait for arrived, on the loop's ticker. */
  private long startedNanos;
  /** {@link Exchanges#requests()} at that first byte: once it grows, those headers are complete. */
  private long requestsAtStart;

  HeaderTimeout(long timeoutNanos, Exchanges exchanges, CloseTracker tracker, InboundGate gate) {
    this.timeoutNanos = timeoutNanos;
    this.exchanges = exchanges;
    this.tracker = tracker;
    this.gate = gate;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (waiting && exchanges.requests() > requestsAtStart) {
      waiting = false;
    }
    // Bytes that arrive while a response is in progress or a body is being read are not a request's first byte.
    if (!waiting && !exchanges.responseInProgress() && !exchanges.readingBody()) {
      waiting = true;
      startedNanos = ctx.executor().ticker().nanoTime();
      requestsAtStart = exchanges.requests();
      if (timer == null) {
        timer = ctx.executor().schedule(this::fired, timeoutNanos, TimeUnit.NANOSECONDS);
      }
    }
    ctx.fireChannelRead(msg);
  }

  /** If the headers we wait for started less than the timeout ago, wait for the rest; if we wait for none, stop. */
  private void fired() {
    timer = null;
    if (waiting && exchanges.requests() > requestsAtStart) {
      waiting = false;
    }
    if (!waiting || !ctx.channel().isActive()) {
      return;
    }
    long waited = ctx.executor().ticker().nanoTime() - startedNanos;
    if (waited < timeoutNanos) {
      timer = ctx.executor().schedule(this::fired, timeoutNanos - waited, TimeUnit.NANOSECONDS);
      return;
    }
    tracker.ending(CloseReason.HEADER_TIMEOUT);
    gate.discard();
    // Written from here, before the decoder, straight to the socket: no response encoder is involved.
    ctx.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    ctx.fireChannelInactive();
  }
}
