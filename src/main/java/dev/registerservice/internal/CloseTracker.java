package dev.registerservice.internal;

import dev.registerservice.metrics.ConnectionMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.AttributeKey;
import io.vertx.core.Promise;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The one place that decides why a traffic connection ended, and so why a response on it did not finish. Every
 * other handler and the response streamers only report what they saw or did; this class turns that into one
 * {@link CloseReason} per connection (the first one reported wins) and, for a response, one {@link AbortCause}.
 *
 * <p>How it knows: Netty closes a channel for a read EOF or a write error inside the channel itself, never
 * through the pipeline, while every close that we or Vert.x ask for passes through {@link #close}. So a close
 * seen here is ours; a close not seen here is the client's, and a read error or a failed write says which kind.
 *
 * <p>It also counts the connection (open, accepted, closed by reason), enforces the connection cap, and gives a
 * connection refused at the protocol level a lingering close, as nginx does: FIN after the refusal, then the client's remaining input is read
 * and dropped for a bounded time, so closing never resets the refusal away under the client.
 */
final class CloseTracker extends ChannelDuplexHandler {
  static final long LINGER_MILLIS = 2_000;

  private final ConnectionMetrics metrics;
  private final OpenConnections open;
  /** Where {@link ResponseAborts} and the http layer find this connection's tracker. */
  static final AttributeKey<CloseTracker> KEY = AttributeKey.valueOf(CloseTracker.class, "closeTracker");

  private final BooleanSupplier shuttingDown;
  private final long maxConnections;
  private ChannelHandlerContext ctx;
  private CloseReason reason;
  private boolean counted;
  private boolean lingerOnClose;
  /** On NIO, which has no errno, reset and broken pipe are read from exception messages. */
  private boolean nio;

  /** @param maxConnections more open connections than this, this one included, and it is refused at accept */
  CloseTracker(ConnectionMetrics metrics, OpenConnections open, BooleanSupplier shuttingDown, long maxConnections) {
    this.metrics = metrics;
    this.open = open;
    this.shuttingDown = shuttingDown;
    this.maxConnections = maxConnections;
  }

  /**
   * Counts the new connection; over the connection cap, closes it before anything is read (reason
   * {@code overload}). The cap lives here rather than in a handler of its own: it is one comparison at accept,
   * on the count this handler keeps anyway.
   */
  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    ctx.channel().attr(KEY).set(this);
    nio = !(ctx.channel() instanceof UnixChannel);
    counted = true;
    open.add(this);
    metrics.accepted();
    if (open.count() > maxConnections) {
      ending(CloseReason.OVERLOAD);
      ctx.close();
    }
  }

  /**
   * Another handler decided to end the connection: it fires the {@link CloseReason} as a user event from the
   * pipeline's head (as Netty's {@code IdleStateHandler} fires its {@code IdleStateEvent}), and this handler takes
   * it. Other events pass on.
   */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof CloseReason why) {
      ending(why);
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  /**
   * A request or a body that failed to decode, seen here after the decoder: a protocol error, counted once by
   * the reason the decoder's failure carries ({@link RejectReason#of}).
   */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
      rejected(RejectReason.of(http.decoderResult().cause()));
    }
    ctx.fireChannelRead(msg);
  }

  /** Our side decided to end the connection for {@code why}; the first reason reported wins. */
  private void ending(CloseReason why) {
    if (reason == null) {
      reason = why;
    }
  }

  /** A request failed to decode or broke a protocol rule: counted once, answered, then a lingering close. */
  private void rejected(RejectReason why) {
    ending(CloseReason.PROTOCOL_ERROR);
    metrics.rejected(why);
  }

  /**
   * The response went out before the request's body was read (413, 415): the next close is a lingering one,
   * so the unread body does not make the kernel reset the response away under the client.
   */
  void lingerOnClose() {
    lingerOnClose = true;
  }

  /**
   * Why a response did not reach its client: the abort to count, or null when it is not a client abort (our
   * shutdown cut it, or the connection was refused at the protocol level and counted as a rejection).
   * {@code failure} is its failed write, or null when the connection closed before the response was written.
   * The errno says how the client went away; a timeout of ours counts as the client's, as it is a client that
   * stopped reading. Called on the connection's loop; a first failure also sets the connection's close reason.
   */
  AbortCause abortCause(Throwable failure) {
    AbortCause cause = failure == null ? null : TransportErrors.classify(failure, nio);
    if (reason == null) {
      ending(cause == AbortCause.ECONNRESET ? CloseReason.CLIENT_RESET : CloseReason.CLIENT_CLOSE);
      return cause == null ? AbortCause.EOF : cause;
    }
    return switch (reason) {
      case WRITE_TIMEOUT, IDLE_TIMEOUT -> AbortCause.TIMEOUT;
      case SHUTDOWN, PROTOCOL_ERROR -> null;
      case CLIENT_RESET -> cause == null || cause == AbortCause.EOF ? AbortCause.ECONNRESET : cause;
      case CLIENT_CLOSE -> cause == null ? AbortCause.EOF : cause;
      default -> cause == null ? AbortCause.OTHER : cause;
    };
  }

  /** Graceful shutdown's last step for a connection its timeout left open; may be called from any thread. */
  void closeForShutdown(Promise<Void> closed) {
    ctx.executor().execute(() -> {
      ending(CloseReason.SHUTDOWN);
      ctx.close().addListener(f -> closed.complete());
    });
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (TransportErrors.classify(cause, nio) == AbortCause.ECONNRESET) {
      ending(CloseReason.CLIENT_RESET);
    }
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    ending(shuttingDown.getAsBoolean() ? CloseReason.SHUTDOWN : CloseReason.SERVER_CLOSE);
    if ((reason == CloseReason.PROTOCOL_ERROR || lingerOnClose) && ctx.channel() instanceof DuplexChannel) {
      lingeringClose(ctx, promise);
      return;
    }
    ctx.close(promise);
  }

  /** FIN after what was written (the refusal), keep reading and dropping for a while, then close. */
  private void lingeringClose(ChannelHandlerContext ctx, ChannelPromise promise) {
    ctx.pipeline().fireUserEventTriggered(InboundGate.Discard.INPUT);
    ctx.channel().closeFuture().addListener(f -> promise.trySuccess());
    ChannelFuture flushed = ctx.writeAndFlush(Unpooled.EMPTY_BUFFER);
    flushed.addListener((ChannelFutureListener) f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
    ctx.channel().config().setAutoRead(true);
    ctx.read();
    ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (counted) {
      counted = false;
      open.remove(this);
      metrics.closed(reason == null ? CloseReason.CLIENT_CLOSE : reason);
    }
    ctx.fireChannelInactive();
  }
}
