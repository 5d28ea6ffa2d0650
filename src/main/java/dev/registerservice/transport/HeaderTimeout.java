package dev.registerservice.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;

/**
 * The request-header timeout (slowloris): from a request's first byte to its decoded header section. Sits
 * before the HTTP decoder, where it sees the first byte; learns that the headers are complete from the
 * request count of {@link ExchangeState}, after the decoder, read through the channel attribute {@link ExchangeState#KEY}. Idle keep-alive connections are left to the idle
 * timeout, and bytes of a request body never start it. On expiry: a raw 408, the user
 * events {@link CloseReason#HEADER_TIMEOUT} (for the {@link ConnectionTracker}) and {@link InboundGate.Discard#INPUT}
 * fired from the pipeline's head, close.
 *
 * <p>No timer of its own: the loop's {@link ConnectionSweep} checks the deadline, so a request whose headers
 * complete in time costs a clock read, not a scheduled task.
 */
final class HeaderTimeout extends ChannelInboundHandlerAdapter implements ConnectionSweep.Swept {
  private static final String REQUEST_TIMEOUT = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
      + "Content-Length: 0\r\nDate: %s\r\n\r\n";

  private final long timeoutNanos;
  private final ConnectionSweep sweep;
  /** Found on the channel ({@link ExchangeState#KEY}) at the first read: it is installed after this handler. */
  private ExchangeState exchanges;
  private ChannelHandlerContext ctx;
  private boolean waiting;
  /** When the first byte of the request we wait for arrived, on the sweep's clock ({@link ConnectionSweep#now}). */
  private long startedNanos;
  /** {@link ExchangeState#requests()} at that first byte: once it grows, those headers are complete. */
  private long requestsAtStart;

  HeaderTimeout(long timeoutNanos, ConnectionSweep sweep) {
    this.timeoutNanos = timeoutNanos;
    this.sweep = sweep;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    sweep.add(this);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (exchanges == null) {
      exchanges = ctx.channel().attr(ExchangeState.KEY).get();
    }
    if (waiting && exchanges.requests() > requestsAtStart) {
      waiting = false;
    }
    // Bytes that arrive while a response is in progress or a body is being read are not a request's first byte.
    if (!waiting && !exchanges.responseInProgress() && !exchanges.readingBody()) {
      waiting = true;
      startedNanos = sweep.now();
      requestsAtStart = exchanges.requests();
    }
    ctx.fireChannelRead(msg);
  }

  /** The sweep's check: headers we wait for that started at least the timeout ago get a 408. */
  @Override
  public void sweep(long nowNanos) {
    if (waiting && exchanges.requests() > requestsAtStart) {
      waiting = false;
    }
    if (!waiting || nowNanos - startedNanos < timeoutNanos || !ctx.channel().isActive()) {
      return;
    }
    waiting = false;
    ctx.pipeline().fireUserEventTriggered(CloseReason.HEADER_TIMEOUT);
    ctx.pipeline().fireUserEventTriggered(InboundGate.Discard.INPUT);
    // Written from here, before the decoder, straight to the socket: no response encoder is involved.
    // With a Date like every other response (rare: formatting the head here costs nothing that matters).
    ctx.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT.formatted(ResponseDate.now())
        .getBytes(StandardCharsets.US_ASCII))).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    sweep.remove(this);
    ctx.fireChannelInactive();
  }
}
