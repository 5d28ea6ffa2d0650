package dev.registerservice.internal;

import dev.registerservice.metrics.AbortCause;
import dev.registerservice.metrics.CloseReason;
import dev.registerservice.metrics.ConnectionMetrics;
import dev.registerservice.metrics.RejectReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Promise;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Accounts for one traffic connection from accept to close, decides why it closed, and enforces the
 * per-connection limits that Vert.x has no public hook for. Runs on the connection's event loop only.
 *
 * <p>Why it closed: Netty closes a channel for a read EOF or a write error inside the channel itself, never
 * through the pipeline, while every close Vert.x (that is, we) asks for passes through {@link #close}. So a
 * close seen here is ours; a close not seen here is the client's, and a read error or a failed write says
 * which kind. The first reason set wins.
 *
 * <p>Limits: the request-header timeout starts at a request's first byte (seen by {@link #firstByte}, which
 * sits before the decoder) and ends when the decoded request arrives here, so idle keep-alive connections
 * are left to the idle timeout; bytes of a request body never start it. The idle and write timeouts are
 * checked here too, on a timer ({@link #tick}). A request refused at
 * the protocol level gets a lingering close, as nginx does: FIN after the 4xx, then the client's remaining
 * input is read and discarded for a bounded time, so closing never resets the 4xx away under the client.
 */
public final class ConnectionWatch extends ChannelDuplexHandler {
  private static final long LINGER_MILLIS = 2_000;
  private static final byte[] REQUEST_TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
      + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

  private final ConnectionMetrics metrics;
  private final OpenConnections open;
  private final BooleanSupplier shuttingDown;
  private final long maxConnections;
  private final long headerTimeoutNanos;
  private final FirstByte firstByte = new FirstByte();
  private CloseReason reason;
  private long requests;
  private long responses;
  private boolean counted;
  private boolean lingerOnClose;
  private boolean readingBody;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> headerTimer;
  /** When the first byte of the request whose headers we wait for arrived; 0 when we wait for none. */
  private long headersStartedNanos;
  private final long idleTimeoutNanos;
  private final long writeTimeoutNanos;
  private final long tickNanos;
  /** Reads and writes seen; the idle check compares it between ticks instead of reading a clock per event. */
  private long activity;
  private long activityAtLastTick = -1;
  private long idleForNanos;
  private Object stuckMessage;
  private long stuckProgress;
  private long stuckPending;
  private long noProgressForNanos;

  /**
   * @param idleTimeoutSeconds close a connection with no reads or writes and no response in progress (0: never)
   * @param writeTimeoutSeconds close a connection whose response has bytes waiting that make no progress (0: never)
   */
  public ConnectionWatch(ConnectionMetrics metrics, OpenConnections open, BooleanSupplier shuttingDown,
      long maxConnections, long headerTimeoutSeconds, long idleTimeoutSeconds, long writeTimeoutSeconds) {
    this.metrics = metrics;
    this.open = open;
    this.shuttingDown = shuttingDown;
    this.maxConnections = maxConnections;
    this.headerTimeoutNanos = TimeUnit.SECONDS.toNanos(headerTimeoutSeconds);
    this.idleTimeoutNanos = TimeUnit.SECONDS.toNanos(idleTimeoutSeconds);
    this.writeTimeoutNanos = TimeUnit.SECONDS.toNanos(writeTimeoutSeconds);
    long shortest = Math.min(idleTimeoutNanos == 0 ? Long.MAX_VALUE : idleTimeoutNanos,
        writeTimeoutNanos == 0 ? Long.MAX_VALUE : writeTimeoutNanos);
    // Both timeouts are checked four times per period: a connection closes within 1.25 periods.
    this.tickNanos = shortest == Long.MAX_VALUE ? 0 : shortest / 4;
  }

  /** The handler that goes before the HTTP decoder: it sees a request's first byte. */
  ChannelInboundHandlerAdapter firstByteHandler() {
    return firstByte;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    counted = true;
    open.add(this);
    if (metrics.opened() > maxConnections) {
      mark(CloseReason.OVERLOAD);
      ctx.close();
      return;
    }
    if (tickNanos > 0) {
      ctx.executor().schedule(this::tick, tickNanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * The idle and write timeouts, checked on a timer rather than per event (Netty's IdleStateHandler adds a
   * listener to every write). Idle: no read or write for the idle timeout, and no response in progress.
   * Write: a response in progress whose queued bytes have not moved (same message, same progress, same
   * amount pending) for the write timeout, i.e. a client that stopped reading. A response still being
   * computed (nothing queued) is neither.
   */
  private void tick() {
    if (!ctx.channel().isActive()) {
      return;
    }
    idleForNanos = activity == activityAtLastTick && !responseInProgress() ? idleForNanos + tickNanos : 0;
    activityAtLastTick = activity;
    ChannelOutboundBuffer queued = ctx.channel().unsafe().outboundBuffer();
    if (responseInProgress() && queued != null && queued.totalPendingWriteBytes() > 0) {
      Object message = queued.current();
      long progress = queued.currentProgress();
      long pending = queued.totalPendingWriteBytes();
      boolean moved = message != stuckMessage || progress != stuckProgress || pending != stuckPending;
      noProgressForNanos = moved ? 0 : noProgressForNanos + tickNanos;
      stuckMessage = message;
      stuckProgress = progress;
      stuckPending = pending;
    } else {
      noProgressForNanos = 0;
      stuckMessage = null;
    }
    if (writeTimeoutNanos > 0 && noProgressForNanos >= writeTimeoutNanos) {
      closeNow(CloseReason.WRITE_TIMEOUT);
    } else if (idleTimeoutNanos > 0 && idleForNanos >= idleTimeoutNanos) {
      closeNow(CloseReason.IDLE_TIMEOUT);
    } else {
      ctx.executor().schedule(this::tick, tickNanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Closes now, from this handler down, so Vert.x's handler above (which would wait for queued writes to
   * reach a client that is not reading) is not in the way.
   */
  private ChannelFuture closeNow(CloseReason why) {
    mark(why);
    return ctx.close();
  }

  /** Graceful shutdown's last step for a connection its timeout left open; may be called from any thread. */
  void closeForShutdown(Promise<Void> closed) {
    ctx.executor().execute(() -> closeNow(CloseReason.SHUTDOWN).addListener(f -> closed.complete()));
  }

  /** A response's write failed because the client went away; called before the channel goes inactive. */
  public void clientWentAway(AbortCause cause) {
    mark(cause == AbortCause.ECONNRESET ? CloseReason.CLIENT_RESET : CloseReason.CLIENT_CLOSE);
  }

  /**
   * The response went out before the request's body was read (413, 415): the next close is a lingering one,
   * so the unread body does not make the kernel reset the response away under the client.
   */
  void lingerOnClose() {
    lingerOnClose = true;
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
    if (msg instanceof LastHttpContent) {
      readingBody = false;
    }
    if (msg instanceof HttpRequest) {
      requests++;
      headersStartedNanos = 0;
      readingBody = !(msg instanceof LastHttpContent);
      HttpRequest request = (HttpRequest) msg;
      if (request.decoderResult().isFailure()) {
        mark(CloseReason.PROTOCOL_ERROR);
        metrics.rejected(rejectReason(request.decoderResult().cause()));
      }
    } else if (msg instanceof HttpContent && ((HttpContent) msg).decoderResult().isFailure()) {
      // Issue 14: a malformed chunked body is a protocol error too: counted once, lingering close.
      mark(CloseReason.PROTOCOL_ERROR);
      metrics.rejected(rejectReason(((HttpContent) msg).decoderResult().cause()));
    }
    ctx.fireChannelRead(msg);
  }

  private static RejectReason rejectReason(Throwable cause) {
    if (cause instanceof StrictRequestDecoder.Rejected) {
      return ((StrictRequestDecoder.Rejected) cause).reason;
    }
    if (cause instanceof TooLongHttpLineException) {
      return RejectReason.URI_TOO_LONG;
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return RejectReason.HEADERS_TOO_LARGE;
    }
    return RejectReason.BAD_REQUEST;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    // A 100 Continue is a complete message too, but not the response to the request.
    if (msg instanceof LastHttpContent && !(msg instanceof HttpResponse
        && ((HttpResponse) msg).status().codeClass() == HttpStatusClass.INFORMATIONAL)) {
      responses++;
    }
    activity++;
    ctx.write(msg, promise);
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
    if ((reason == CloseReason.PROTOCOL_ERROR || lingerOnClose) && ctx.channel() instanceof DuplexChannel) {
      lingeringClose(ctx, promise);
      return;
    }
    ctx.close(promise);
  }

  /** FIN after what was written (the 4xx), keep reading and discarding for a while, then close. */
  private void lingeringClose(ChannelHandlerContext ctx, ChannelPromise promise) {
    firstByte.discarding = true;
    ctx.channel().closeFuture().addListener(f -> promise.trySuccess());
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(
        (ChannelFutureListener) f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
    ctx.channel().config().setAutoRead(true);
    ctx.read();
    ctx.executor().schedule(() -> {
      ctx.close();
    }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancelHeaderTimer();
    if (counted) {
      counted = false;
      open.remove(this);
      metrics.closed(reason == null ? CloseReason.CLIENT_CLOSE : reason);
    }
    ctx.fireChannelInactive();
  }

  private void cancelHeaderTimer() {
    if (headerTimer != null) {
      headerTimer.cancel(false);
      headerTimer = null;
    }
  }

  /**
   * The header timer fired. One timer per connection, re-armed only when it fires: a request whose headers
   * are complete costs a clock read, not a scheduled task. If the headers we wait for started less than
   * the timeout ago, wait for the rest of it; if we wait for none, stop until the next first byte.
   */
  private void headerTimerFired() {
    headerTimer = null;
    if (headersStartedNanos == 0 || !ctx.channel().isActive()) {
      return;
    }
    long waited = System.nanoTime() - headersStartedNanos;
    if (waited < headerTimeoutNanos) {
      headerTimer = ctx.executor().schedule(this::headerTimerFired, headerTimeoutNanos - waited,
          TimeUnit.NANOSECONDS);
      return;
    }
    mark(CloseReason.HEADER_TIMEOUT);
    firstByte.discarding = true;
    ChannelHandlerContext head = firstByte.ctx;
    head.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
  }

  private static boolean isReset(Throwable cause) {
    if (cause instanceof Errors.NativeIoException) {
      return ((Errors.NativeIoException) cause).expectedErr() == Errors.ERRNO_ECONNRESET_NEGATIVE;
    }
    // NIO has no errno, only the JDK's message.
    return cause instanceof IOException && cause.getMessage() != null
        && cause.getMessage().contains("Connection reset");
  }

  /** Sits before the decoder: arms the header timer at a request's first byte; drops input while closing. */
  private final class FirstByte extends ChannelInboundHandlerAdapter {
    private ChannelHandlerContext ctx;
    private boolean discarding;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      activity++;
      if (discarding) {
        ((ByteBuf) msg).release();
        return;
      }
      // Body bytes are not a request's first byte, even when the response went out before the body was read.
      if (headersStartedNanos == 0 && headerTimeoutNanos > 0 && !responseInProgress() && !readingBody) {
        headersStartedNanos = System.nanoTime();
        if (headerTimer == null) {
          headerTimer = ctx.executor().schedule(ConnectionWatch.this::headerTimerFired, headerTimeoutNanos,
              TimeUnit.NANOSECONDS);
        }
      }
      ctx.fireChannelRead(msg);
    }
  }
}
