package dev.registerservice.transport;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Counts every response that did not reach its client, once, whatever route produced it: the one layer every
 * request and response passes through. A response is aborted when the write of its last part fails, or when
 * the connection closes before that write was made (a registration still hashing when its client reset). The
 * route table says which route and method each request went to ({@link #answering}); the cause is
 * {@link AbortCause#of} the two facts the {@link ConnectionTracker} recorded; the phase is whether the status
 * line's write completed.
 *
 * <p>No listener on every write: the status line's and body's write promises are kept and read once, when the
 * response ends; one listener per response, on its last write.
 */
final class ResponseAborts extends ChannelDuplexHandler {
  /** Found on the channel ({@link ConnectionTracker#KEY}), installed before this handler. */
  private ConnectionTracker tracker;
  /**
   * Requests decoded whose response's last write has not been made yet, oldest (the one answered) first; null
   * while there is none (an idle keep-alive connection holds no queue).
   */
  private ArrayDeque<PendingResponse> open;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    tracker = ctx.channel().attr(ConnectionTracker.KEY).get();
  }

  /** The route table dispatched the oldest request not yet dispatched; its aborts go to {@code recorder}. */
  void answering(AbortRecorder recorder) {
    if (open == null) {
      return;
    }
    for (PendingResponse pending : open) {
      if (!pending.dispatched) {
        pending.dispatched = true;
        pending.recorder = recorder;
        return;
      }
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      PendingResponse pending = new PendingResponse();
      // A request that failed to decode is answered by Vert.x's invalid-request handler, never dispatched.
      pending.dispatched = request.decoderResult().isFailure();
      if (open == null) {
        open = new ArrayDeque<>(2);
      }
      open.add(pending);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    PendingResponse pending = open == null ? null : open.peekFirst();
    boolean informational = msg instanceof HttpResponse head
        && head.status().codeClass() == HttpStatusClass.INFORMATIONAL;
    if (pending == null || informational || pending.recorder == null) {
      if (pending != null && !informational && msg instanceof LastHttpContent) {
        answered();
      }
      ctx.write(msg, promise);
      return;
    }
    ChannelPromise kept = promise.unvoid();
    if (msg instanceof HttpResponse) {
      pending.head = kept;
    }
    if (msg instanceof HttpContent content && content.content().isReadable()) {
      pending.body(kept, content.content().readableBytes());
    }
    if (msg instanceof LastHttpContent) {
      answered();
      kept.addListener(pending);
    }
    ctx.write(msg, kept);
  }

  /** The body writes the oldest response still keeps (for tests: bounded by the writes in flight). */
  int keptBodyWrites() {
    return open == null || open.peekFirst() == null ? 0 : open.peekFirst().bodyCount;
  }

  /** The oldest request's response has had its last write. */
  private void answered() {
    open.pollFirst();
    if (open.isEmpty()) {
      open = null;
    }
  }

  /** Every promise failed in the close, before this runs: what is still open never got its last write. */
  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (open != null) {
      for (PendingResponse pending : open) {
        pending.aborted(null);
      }
      open = null;
    }
    ctx.fireChannelInactive();
  }

  /**
   * One request and its response's writes. The body's writes complete in order, so the ones that succeeded
   * are folded into {@link #sentBefore} whenever the kept ones fill their arrays: what is kept is the writes
   * still in flight (bounded by the write queue), never every write since the response began.
   */
  private final class PendingResponse implements ChannelFutureListener {
    boolean dispatched;
    AbortRecorder recorder;
    ChannelPromise head;
    private ChannelPromise[] bodyWrites;
    private int[] bodySizes;
    private int bodyCount;
    /** The bytes of the body writes that succeeded and are no longer kept. */
    private long sentBefore;

    void body(ChannelPromise promise, int bytes) {
      if (bodyWrites == null) {
        bodyWrites = new ChannelPromise[4];
        bodySizes = new int[4];
      } else if (bodyCount == bodyWrites.length && compact() == 0) {
        bodyWrites = Arrays.copyOf(bodyWrites, bodyCount * 2);
        bodySizes = Arrays.copyOf(bodySizes, bodyCount * 2);
      }
      bodyWrites[bodyCount] = promise;
      bodySizes[bodyCount++] = bytes;
    }

    /** Folds the succeeded writes at the front into {@link #sentBefore}; returns how many were folded. */
    private int compact() {
      int done = 0;
      while (done < bodyCount && bodyWrites[done].isSuccess()) {
        sentBefore += bodySizes[done++];
      }
      if (done > 0) {
        System.arraycopy(bodyWrites, done, bodyWrites, 0, bodyCount - done);
        System.arraycopy(bodySizes, done, bodySizes, 0, bodyCount - done);
        Arrays.fill(bodyWrites, bodyCount - done, bodyCount, null);
        bodyCount -= done;
      }
      return done;
    }

    @Override
    public void operationComplete(ChannelFuture lastWrite) {
      if (!lastWrite.isSuccess()) {
        aborted(lastWrite.cause());
      }
    }

    void aborted(Throwable failure) {
      if (recorder == null) {
        return;
      }
      ConnectionEnd end = tracker.end();
      AbortCause cause = AbortCause.of(end.ours(), end.errno(failure));
      if (cause == null) {
        return;
      }
      long sent = sentBefore;
      for (int i = 0; i < bodyCount; i++) {
        if (bodyWrites[i].isSuccess()) {
          sent += bodySizes[i];
        }
      }
      recorder.aborted(cause, head != null && head.isSuccess() ? AbortPhase.MID_BODY : AbortPhase.BEFORE_HEADERS,
          sent);
      recorder = null;
    }
  }
}
