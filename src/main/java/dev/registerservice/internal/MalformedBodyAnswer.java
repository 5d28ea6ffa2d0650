package dev.registerservice.internal;

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
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * A chunked body that turns out malformed after its request went up (the bad bytes came in a later read)
 * gets a 400 with {@code Connection: close} when nothing of its response has been written yet and every
 * earlier response is complete; otherwise the response already under way stands and the connection just
 * closes. Vert.x alone closes without a word on a failed body. The failure itself continues up the pipeline:
 * the connection watch counts it and closes lingering. Bodies malformed within the read that completed the
 * head never get here: the decoder refuses those requests as a whole.
 */
final class MalformedBodyAnswer extends ChannelDuplexHandler {
  private long requests;
  private long heads;
  private long ends;
  private boolean answered;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      requests++;
    } else if (msg instanceof HttpContent && ((HttpContent) msg).decoderResult().isFailure() && !answered
        && heads == requests - 1 && ends == requests - 1) {
      answered = true;
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
          Unpooled.EMPTY_BUFFER);
      response.headers()
          .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
          .set(HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO)
          .set(HttpHeaderNames.DATE, ResponseDate.now());
      ctx.writeAndFlush(response);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    boolean informational = msg instanceof HttpResponse
        && ((HttpResponse) msg).status().codeClass() == HttpStatusClass.INFORMATIONAL;
    if (msg instanceof HttpResponse && !informational) {
      heads++;
    }
    if (msg instanceof LastHttpContent && !informational) {
      ends++;
    }
    ctx.write(msg, promise);
  }
}
