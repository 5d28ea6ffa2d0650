package dev.registerservice.internal;

import dev.registerservice.metrics.RejectReason;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/**
 * After the HTTP codec: counts decoded requests and completed responses, so the other handlers can tell
 * "between requests", "reading a body" and "a response in progress" apart, and hands a request that failed to
 * decode, or a body that did, to the {@link CloseTracker} as a protocol error with its reason.
 */
final class Exchanges extends ChannelDuplexHandler {
  private final CloseTracker tracker;
  private long requests;
  private long responses;
  private long writes;
  private boolean readingBody;

  Exchanges(CloseTracker tracker) {
    this.tracker = tracker;
  }

  /** Requests whose header section has been decoded; grows by one per request. */
  long requests() {
    return requests;
  }

  /** Writes passed down so far; compared between ticks, so it may wrap. */
  long writes() {
    return writes;
  }

  boolean responseInProgress() {
    return requests > responses;
  }

  /** A request's body is still arriving: its bytes are not the first byte of a new request. */
  boolean readingBody() {
    return readingBody;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof LastHttpContent) {
      readingBody = false;
    }
    if (msg instanceof HttpRequest request) {
      requests++;
      readingBody = !(msg instanceof LastHttpContent);
      if (request.decoderResult().isFailure()) {
        tracker.rejected(rejectReason(request.decoderResult().cause()));
      }
    } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
      // Issue 14: a malformed chunked body is a protocol error too: counted once, lingering close.
      tracker.rejected(rejectReason(content.decoderResult().cause()));
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    writes++;
    // A 100 Continue is a complete message too, but not the response to the request.
    if (msg instanceof LastHttpContent && !(msg instanceof HttpResponse response
        && response.status().codeClass() == HttpStatusClass.INFORMATIONAL)) {
      responses++;
    }
    ctx.write(msg, promise);
  }

  private static RejectReason rejectReason(Throwable cause) {
    if (cause instanceof StrictRequestDecoder.Rejected rejected) {
      return rejected.reason;
    }
    if (cause instanceof TooLongHttpLineException) {
      return RejectReason.URI_TOO_LONG;
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return RejectReason.HEADERS_TOO_LARGE;
    }
    return RejectReason.BAD_REQUEST;
  }
}
