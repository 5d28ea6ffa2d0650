package dev.registerservice.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

/**
 * First in the pipeline, before the HTTP decoder: counts raw reads (the progress watchdog's idle check) and,
 * once the connection is closing after a refusal or a timeout, drops whatever the client still sends, so
 * nothing behind a refused request is ever decoded. Told so by the user event {@link Discard#INPUT}, fired from
 * the pipeline's head by whichever handler decided to close.
 */
final class InboundGate extends ChannelInboundHandlerAdapter {
  /** Where the other handlers find this one's read count on the channel. */
  static final AttributeKey<InboundGate> KEY = AttributeKey.valueOf(InboundGate.class, "inboundGate");

  /** The user event, fired from the pipeline's head, after which input is read and dropped. */
  enum Discard { INPUT }

  private long reads;
  private boolean discarding;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    ctx.channel().attr(KEY).set(this);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == Discard.INPUT) {
      discarding = true;
      return;
    }
    ctx.fireUserEventTriggered(evt);
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
