package dev.registerservice.internal;

import dev.registerservice.metrics.AbortCause;
import dev.registerservice.metrics.CloseReason;
import dev.registerservice.metrics.ConnectionMetrics;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.vertx.core.Promise;
import java.io.IOException;
import java.util.function.BooleanSupplier;

/**
 * Accounts for one traffic connection from accept to close, and decides why it closed.
 *
 * <p>Netty closes a channel for a read EOF or a write error inside the channel itself, never through the
 * pipeline, while every close Vert.x (that is, we) asks for passes through {@link #close}. So a close seen
 * here is ours; a close not seen here is the client's, and a read error or failed write says which kind.
 * The first reason set wins. Runs on the connection's event loop only.
 *
 * <p>It also turns Netty's writer-idle event into a write timeout: Vert.x closes on any idle event, so a
 * writer-idle event on a connection with no response in progress (an idle keep-alive connection) is
 * swallowed here, and the all-idle event closes it at the idle timeout instead.
 */
public final class ConnectionWatch extends ChannelDuplexHandler {
  private final ConnectionMetrics metrics;
  private final OpenConnections open;
  private final BooleanSupplier shuttingDown;
  private final long maxConnections;
  private CloseReason reason;
  private long requests;
  private long responses;
  private boolean counted;
  private ChannelHandlerContext ctx;

  public ConnectionWatch(ConnectionMetrics metrics, OpenConnections open, BooleanSupplier shuttingDown,
      long maxConnections) {
    this.metrics = metrics;
    this.open = open;
    this.shuttingDown = shuttingDown;
    this.maxConnections = maxConnections;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    counted = true;
    this.ctx = ctx;
    open.add(this);
    if (metrics.opened() > maxConnections) {
      mark(CloseReason.OVERLOAD);
      ctx.close();
    }
  }

  /**
   * Closes now, from this handler down, so Vert.x's handler above (which would wait for queued writes to
   * reach a client that is not reading) is not in the way.
   */
  void closeForShutdown(Promise<Void> closed) {
    ctx.executor().execute(() -> {
      mark(CloseReason.SHUTDOWN);
      ctx.close().addListener(f -> closed.complete());
    });
  }

  /** A response's write failed because the client went away; called before the channel goes inactive. */
  public void clientWentAway(AbortCause cause) {
    mark(cause == AbortCause.ECONNRESET ? CloseReason.CLIENT_RESET : CloseReason.CLIENT_CLOSE);
  }

  /** The reason already decided, if any: tells an aborted response whether we cut it ourselves. */
  public CloseReason closeReason() {
    return reason;
  }

  private void mark(CloseReason candidate) {
    if (reason == null) {
      reason = candidate;
    }
  }

  private boolean responseInProgress() {
    return requests > responses;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      requests++;
      if (((HttpRequest) msg).decoderResult().isFailure()) {
        mark(CloseReason.PROTOCOL_ERROR);
      }
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof LastHttpContent) {
      responses++;
    }
    ctx.write(msg, promise);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (responseInProgress()) {
        mark(CloseReason.WRITE_TIMEOUT);
      } else if (((IdleStateEvent) evt).state() == IdleState.WRITER_IDLE) {
        return;
      } else {
        mark(CloseReason.IDLE_TIMEOUT);
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (isReset(cause)) {
      mark(CloseReason.CLIENT_RESET);
    }
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    mark(shuttingDown.getAsBoolean() ? CloseReason.SHUTDOWN : CloseReason.SERVER_CLOSE);
    ctx.close(promise);
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

  private static boolean isReset(Throwable cause) {
    if (cause instanceof Errors.NativeIoException) {
      return ((Errors.NativeIoException) cause).expectedErr() == Errors.ERRNO_ECONNRESET_NEGATIVE;
    }
    // NIO has no errno, only the JDK's message.
    return cause instanceof IOException && cause.getMessage() != null
        && cause.getMessage().contains("Connection reset");
  }
}
