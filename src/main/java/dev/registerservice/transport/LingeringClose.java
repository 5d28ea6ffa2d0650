package dev.registerservice.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import java.util.concurrent.TimeUnit;

/**
 * A close that does not reset what was just written away, as nginx's lingering close: FIN after the answer
 * (a refusal, or a 413 sent before the body was read), then the client's remaining input is read and dropped
 * for {@value #MILLIS} ms, then the connection closes. Closing with unread input at once would make the kernel
 * send RST, and the client could lose the answer before reading it.
 */
final class LingeringClose {
  static final long MILLIS = 2_000;

  private LingeringClose() {
  }

  /** Starts it on {@code ctx}'s channel, a {@link DuplexChannel}; {@code promise} completes once it is closed. */
  static void start(ChannelHandlerContext ctx, ChannelPromise promise) {
    ctx.pipeline().fireUserEventTriggered(InboundGate.Discard.INPUT);
    ctx.channel().closeFuture().addListener(f -> promise.trySuccess());
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener((ChannelFutureListener) f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
    ctx.channel().config().setAutoRead(true);
    ctx.read();
    ctx.executor().schedule((Runnable) ctx::close, MILLIS, TimeUnit.MILLISECONDS);
  }
}
