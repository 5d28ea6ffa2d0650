package dev.registerservice.transport;

import dev.registerservice.transport.http1.RejectReason;
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
 * Records how a traffic connection is ending, in the order it happens: the close our side decided first (a
 * handler's {@link CloseReason}, a refusal, a close asked for while the connection was open) and the first
 * errno the transport reported (a read error, or the failure of the last write). The verdicts are pure
 * functions of those two facts: {@link CloseReason#of} for the connection, {@link AbortCause#of} for a response
 * that did not finish ({@link ResponseAborts} asks {@link #ours()} and {@link #errno(Throwable)}).
 *
 * <p>How it knows: Netty closes a channel for a read EOF or a write error inside the channel itself, never
 * through the pipeline, while every close that we or Vert.x ask for passes through {@link #close}. So a close
 * seen here on an open channel is ours; a close not seen here is the client's, and the errno of a failed read
 * ({@link #exceptionCaught}) or of the last write (Netty fails every pending write with the error that closed
 * the channel, before the channel goes inactive) says which kind. No listener per write: the last write's
 * promise is kept and read once, at the end.
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
  /** The close our side decided first, while the connection was open and before any errno; null if none. */
  private CloseReason ours;
  /** The errno of the first read that failed, if that came before any decision of ours. */
  private AbortCause readErrno;
  /** The last write passed down; at the end, its failure carries the errno of the error that closed us. */
  private ChannelPromise lastWrite;
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
      decided(CloseReason.OVERLOAD);
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
      decided(why);
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

  /**
   * Our side decided to end the connection for {@code why}. It counts only while the connection is open and
   * nothing came first: a close asked for after the transport failed (Vert.x closing what Netty closed) decides
   * nothing.
   */
  private void decided(CloseReason why) {
    if (ours == null && readErrno == null && ctx.channel().isOpen()) {
      ours = why;
    }
  }

  /** The close our side decided first, or null: one of the two facts the verdicts are decided from. */
  CloseReason ours() {
    return ours;
  }

  /**
   * The errno the transport reported first, or null if none: the failed read's, else that of {@code failure}
   * (a response's failed write, or null), else that of the last write if it failed. A query: it changes
   * nothing. Called on the connection's loop.
   */
  AbortCause errno(Throwable failure) {
    if (readErrno != null) {
      return readErrno;
    }
    AbortCause errno = TransportErrors.errno(failure, nio);
    if (errno == null && lastWrite != null && lastWrite.isDone()) {
      errno = TransportErrors.errno(lastWrite.cause(), nio);
    }
    return errno;
  }

  /** A request failed to decode or broke a protocol rule: counted once, answered, then a lingering close. */
  private void rejected(RejectReason why) {
    decided(CloseReason.PROTOCOL_ERROR);
    metrics.rejected(why);
  }

  /**
   * The response went out before the request's body was read (413, 415): the next close is a lingering one,
   * so the unread body does not make the kernel reset the response away under the client.
   */
  void lingerOnClose() {
    lingerOnClose = true;
  }

  /** Graceful shutdown's last step for a connection its timeout left open; may be called from any thread. */
  void closeForShutdown(Promise<Void> closed) {
    ctx.executor().execute(() -> {
      decided(CloseReason.SHUTDOWN);
      ctx.close().addListener(f -> closed.complete());
    });
  }

  /** A read failed: its errno is recorded if nothing came first. */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    AbortCause errno = TransportErrors.errno(cause, nio);
    if (errno != null && ours == null && readErrno == null) {
      readErrno = errno;
    }
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!promise.isVoid()) {
      lastWrite = promise;
    }
    ctx.write(msg, promise);
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    decided(shuttingDown.getAsBoolean() ? CloseReason.SHUTDOWN : CloseReason.SERVER_CLOSE);
    if ((ours == CloseReason.PROTOCOL_ERROR || lingerOnClose) && ctx.channel() instanceof DuplexChannel) {
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
    ctx.executor().schedule((Runnable) ctx::close, LINGER_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (counted) {
      counted = false;
      open.remove(this);
      metrics.closed(CloseReason.of(ours, errno(null)));
    }
    ctx.fireChannelInactive();
  }
}
