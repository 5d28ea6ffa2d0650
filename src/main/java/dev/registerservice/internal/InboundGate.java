package dev.registerservice.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * First in the pipeline, before the HTTP decoder: counts raw reads (the progress watchdog's idle check) and,
 * once the connection is closing after a refusal or a timeout, drops whatever the client still sends, so
 * nothing behind a refused request is ever decoded.
 */
final class InboundGate extends ChannelInboundHandlerAdapter {
  private long reads;
  private boolean discarding;

  /** From now on, input is read and dropped. */
  void discard() {
    discarding = true;
  }

  /** Raw reads so far; compared between ticks, so it may wrap. */
  long reads() {
    return reads;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    reads++;
    if (discarding) {
      ReferenceCountUtil.release(msg);
      return;
    }
    ctx.fireChannelRead(msg);
  }
}
