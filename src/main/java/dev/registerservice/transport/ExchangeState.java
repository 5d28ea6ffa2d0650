package dev.registerservice.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import java.util.function.BooleanSupplier;

/**
 * After the HTTP codec, where requests come up and responses go down:
 * <ul>
 *   <li>counts decoded requests and completed responses, so the other handlers can tell "between requests",
 *       "reading a body" and "a response in progress" apart;
 *   <li>answers a chunked body found malformed after its request went up (the bad bytes came in a later read)
 *       with a 400 and {@code Connection: close}, when nothing of its response has been written yet and every
 *       earlier response is complete; otherwise the response under way stands and the connection just closes.
 *       Vert.x alone closes without a word on a failed body;
 *   <li>puts a {@code Date} header on every response (RFC 9110 section 6.6.1), formatted at most once a second
 *       per loop by {@link ResponseDate};
 *   <li>once the service is shutting down, {@code Connection: close} on every response (RFC 9112 section 9.6),
 *       so that a keep-alive client sends its next request elsewhere rather than on a connection about to close.
 * </ul>
 * Its progress is read by the timeouts through the channel attribute {@link #KEY}.
 */
final class ExchangeState extends ChannelDuplexHandler {
  /** Where {@link HeaderTimeout} and {@link ProgressWatchdog} read this connection's progress. */
  static final AttributeKey<ExchangeState> KEY = AttributeKey.valueOf(ExchangeState.class, "exchangeState");

  private final BooleanSupplier shuttingDown;
  private long requests;
  private long heads;
  private long responses;
  private boolean answeredMalformedBody;
  private long writes;
  private boolean readingBody;

  /** @param shuttingDown true once graceful shutdown has begun */
  ExchangeState(BooleanSupplier shuttingDown) {
    this.shuttingDown = shuttingDown;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    ctx.channel().attr(KEY).set(this);
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
    } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
      // A malformed chunked body: the ConnectionTracker counted it; answered here if we still can.
      if (!answeredMalformedBody && heads == requests - 1 && responses == requests - 1) {
        answeredMalformedBody = true;
        answerBadRequest(ctx);
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void answerBadRequest(ChannelHandlerContext ctx) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
        Unpooled.EMPTY_BUFFER);
    response.headers()
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
        .set(HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO)
        .set(HttpHeaderNames.DATE, ResponseDate.now());
    heads++;
    responses++;
    ctx.writeAndFlush(response);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    writes++;
    // A 100 Continue is a complete message too, but not the response to the request.
    boolean informational = msg instanceof HttpResponse head
        && head.status().codeClass() == HttpStatusClass.INFORMATIONAL;
    if (msg instanceof HttpResponse head) {
      head.headers().set(HttpHeaderNames.DATE, ResponseDate.now());
      if (!informational && shuttingDown.getAsBoolean()) {
        head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
      if (!informational) {
        heads++;
      }
    }
    if (msg instanceof LastHttpContent && !informational) {
      responses++;
    }
    ctx.write(msg, promise);
  }
}
