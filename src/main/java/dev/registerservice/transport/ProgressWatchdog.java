package dev.registerservice.transport;

import dev.registerservice.internal.Internals;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;

/**
 * The idle and write timeouts, checked by the loop's {@link ConnectionSweep} rather than per event: Netty's
 * {@code IdleStateHandler} and {@code WriteTimeoutHandler} add a listener to every write and a timer to every
 * connection, which measured several percent of the loop at saturation.
 *
 * <ul>
 *   <li>Idle: no read or write for the idle timeout, and no response in progress.
 *   <li>Write: a response in progress whose queued bytes have not moved (same message, same progress, same
 *       amount pending) for the write timeout, that is, a client that stopped reading. A response still being
 *       computed (nothing queued) is neither.
 * </ul>
 */
final class ProgressWatchdog extends ChannelDuplexHandler implements ConnectionSweep.Swept {
  private final long idleTimeoutNanos;
  private final long writeTimeoutNanos;
  private final ConnectionSweep sweep;
  private ChannelHandlerContext ctx;
  /** Read through the channel's attributes ({@link ExchangeState#KEY}, {@link InboundGate#KEY}). */
  private ExchangeState exchanges;
  private InboundGate gate;
  private long lastActivity = -1;
  private long activeAtNanos;
  private Object stuckMessage;
  private long stuckProgress;
  private long stuckPending;
  private long movedAtNanos;

  /** A timeout of 0 is off. */
  ProgressWatchdog(long idleTimeoutNanos, long writeTimeoutNanos, ConnectionSweep sweep) {
    this.idleTimeoutNanos = idleTimeoutNanos;
    this.writeTimeoutNanos = writeTimeoutNanos;
    this.sweep = sweep;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    exchanges = ctx.channel().attr(ExchangeState.KEY).get();
    gate = ctx.channel().attr(InboundGate.KEY).get();
    activeAtNanos = sweep.now();
    movedAtNanos = activeAtNanos;
    sweep.add(this);
  }

  @Override
  public void sweep(long nowNanos) {
    if (!ctx.channel().isActive()) {
      return;
    }
    boolean inProgress = exchanges.responseInProgress();
    long activity = gate.reads() + exchanges.writes();
    if (activity != lastActivity || inProgress) {
      lastActivity = activity;
      activeAtNanos = nowNanos;
    }
    ChannelOutboundBuffer queued = Internals.outboundBuffer(ctx.channel());
    if (inProgress && queued != null && queued.totalPendingWriteBytes() > 0) {
      Object message = queued.current();
      long progress = queued.currentProgress();
      long pending = queued.totalPendingWriteBytes();
      if (message != stuckMessage || progress != stuckProgress || pending != stuckPending) {
        movedAtNanos = nowNanos;
      }
      stuckMessage = message;
      stuckProgress = progress;
      stuckPending = pending;
    } else {
      movedAtNanos = nowNanos;
      stuckMessage = null;
    }
    if (writeTimeoutNanos > 0 && nowNanos - movedAtNanos >= writeTimeoutNanos) {
      closeNow(CloseReason.WRITE_TIMEOUT);
    } else if (idleTimeoutNanos > 0 && nowNanos - activeAtNanos >= idleTimeoutNanos) {
      closeNow(CloseReason.IDLE_TIMEOUT);
    }
  }

  /**
   * Says why to the {@link ConnectionTracker} with a user event from the pipeline's head, then closes from this
   * handler down, so Vert.x's handler above (which would wait for queued writes to reach a
   * client that is not reading) is not in the way.
   */
  private void closeNow(CloseReason why) {
    ctx.pipeline().fireUserEventTriggered(why);
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    sweep.remove(this);
    ctx.fireChannelInactive();
  }
}
