package dev.registerservice.transport;

import dev.registerservice.transport.http1.RejectReason;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.vertx.core.Promise;
import java.util.function.BooleanSupplier;

/**
 * One traffic connection from accept to close, routing what the pipeline sees to the job that owns it:
 * <ul>
 *   <li>admission: the connection is counted open ({@link OpenConnections}) and accepted; over the connection
 *       cap it is closed before anything is read ({@code overload});
 *   <li>how it ends: every decision of ours and every transport failure goes to its {@link ConnectionEnd}, and
 *       at the end the {@link CloseReason} is reported once;
 *   <li>refusals: a request or body that failed to decode is counted by its {@link RejectReason} and ends the
 *       connection as a protocol error;
 *   <li>the way it closes: after a refusal, or a response sent before the request's body was read, a
 *       {@link LingeringClose}; at shutdown's timeout, closed from any thread.
 * </ul>
 * How it tells ours from the client's: Netty closes a channel for a read EOF or a write error inside the
 * channel itself, never through the pipeline, while every close that we or Vert.x ask for passes through
 * {@link #close}. So a close seen here on an open channel is ours; a close not seen here is the client's.
 */
final class ConnectionTracker extends ChannelDuplexHandler {
  /** Where {@link ResponseAborts} and the http layer find this connection's tracker. */
  static final AttributeKey<ConnectionTracker> KEY = AttributeKey.valueOf(ConnectionTracker.class, "connection");

  private final ConnectionRecorder recorder;
  private final OpenConnections open;
  private final BooleanSupplier shuttingDown;
  private ChannelHandlerContext ctx;
  private ConnectionEnd end;
  private boolean counted;
  private boolean lingerOnClose;

  /** @param open the open connections: more than its cap, this one included, and this one is refused at accept */
  ConnectionTracker(ConnectionRecorder recorder, OpenConnections open, BooleanSupplier shuttingDown) {
    this.recorder = recorder;
    this.open = open;
    this.shuttingDown = shuttingDown;
  }

  /** How this connection is ending so far. */
  ConnectionEnd end() {
    return end;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    ctx.channel().attr(KEY).set(this);
    end = new ConnectionEnd(!(ctx.channel() instanceof UnixChannel));
    counted = true;
    recorder.accepted();
    // A connection the accept gate let through is within the cap; one accepted before the gate was installed
    // (the port's first connections) is checked here.
    boolean admitted = ctx.channel().attr(AcceptGate.PENDING).getAndSet(null) != null;
    if (open.add(this, admitted) > open.cap() && !admitted) {
      decided(CloseReason.OVERLOAD);
      ctx.close();
    }
  }

  /**
   * Another handler decided to end the connection: it fires the {@link CloseReason} as a user event from the
   * pipeline's head (as Netty's {@code IdleStateHandler} fires its {@code IdleStateEvent}). Other events pass on.
   */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof CloseReason why) {
      decided(why);
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  /** A request or a body that failed to decode, seen here after the decoder: counted once by its reason. */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
      decided(CloseReason.PROTOCOL_ERROR);
      recorder.rejected(RejectReason.of(http.decoderResult().cause()));
    }
    ctx.fireChannelRead(msg);
  }

  private void decided(CloseReason why) {
    end.decided(why, ctx.channel().isOpen());
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

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    end.readFailed(cause);
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    end.wrote(promise, msg instanceof LastHttpContent);
    ctx.write(msg, promise);
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    decided(shuttingDown.getAsBoolean() ? CloseReason.SHUTDOWN : CloseReason.SERVER_CLOSE);
    if ((end.ours() == CloseReason.PROTOCOL_ERROR || lingerOnClose) && ctx.channel() instanceof DuplexChannel) {
      LingeringClose.start(ctx, promise);
      return;
    }
    ctx.close(promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (counted) {
      counted = false;
      open.remove(this);
      recorder.closed(end.closeReason());
    }
    ctx.fireChannelInactive();
  }
}
