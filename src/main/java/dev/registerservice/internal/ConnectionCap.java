package dev.registerservice.internal;

import dev.registerservice.metrics.CloseReason;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Refuses a connection at accept when more than the limit are open (itself included, as counted by its
 * {@link CloseTracker}, which sits before this handler), by closing it before anything is read: reason
 * {@code overload}. Holds no per-connection state, so one instance serves every connection of a loop.
 */
@ChannelHandler.Sharable
final class ConnectionCap extends ChannelInboundHandlerAdapter {
  private final OpenConnections open;
  private final long maxConnections;

  ConnectionCap(OpenConnections open, long maxConnections) {
    this.open = open;
    this.maxConnections = maxConnections;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (open.count() > maxConnections) {
      ctx.pipeline().get(CloseTracker.class).ending(CloseReason.OVERLOAD);
      ctx.close();
    }
  }
}
