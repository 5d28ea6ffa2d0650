package dev.registerservice.internal;

import dev.registerservice.metrics.CloseReason;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The idle and write timeouts, checked on one timer tick per connection rather than per event: Netty's
 * {@code IdleStateHandler} and {@code WriteTimeoutHandler} add a listener to every write, which measured
 * several percent of the loop at saturation.
 *
 * <ul>
 *   <li>Idle: no read or write for the idle timeout, and no response in progress.
 *   <li>Write: a response in progress whose queued bytes have not moved (same message, same progress, same
 *       amount pending) for the write timeout, that is, a client that stopped reading. A response still being
 *       computed (nothing queued) is neither.
 * </ul>
 * Both are checked four times per period, so a connection closes within 1.25 periods.
 */
final class ProgressWatchdog extends ChannelDuplexHandler {
  private final long idleTimeoutNanos;
  private final long writeTimeoutNanos;
  private final long tickNanos;
  private final Exchanges exchanges;
  private final InboundGate gate;
  private final CloseTracker tracker;
  private ChannelHandlerContext ctx;
  private long activityAtLastTick = -1;
  private long idleForNanos;
  private Object stuckMessage;
  private long stuckProgress;
  private long stuckPending;
  private long noProgressForNanos;

  /** A timeout of 0 is off; with both off, no timer is ever armed. */
  ProgressWatchdog(long idleTimeoutNanos, long writeTimeoutNanos, Exchanges exchanges, InboundGate gate,
      CloseTracker tracker) {
    this.idleTimeoutNanos = idleTimeoutNanos;
    this.writeTimeoutNanos = writeTimeoutNanos;
    long shortest = Math.min(idleTimeoutNanos == 0 ? Long.MAX_VALUE : idleTimeoutNanos,
        writeTimeoutNanos == 0 ? Long.MAX_VALUE : writeTimeoutNanos);
    this.tickNanos = shortest == Long.MAX_VALUE ? 0 : shortest / 4;
    this.exchanges = exchanges;
    this.gate = gate;
    this.tracker = tracker;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (tickNanos > 0) {
      ctx.executor().schedule(this::tick, tickNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void tick() {
    if (!ctx.channel().isActive()) {
      return;
    }
    boolean inProgress = exchanges.responseInProgress();
    long activity = gate.reads() + exchanges.writes();
    idleForNanos = activity == activityAtLastTick && !inProgress ? idleForNanos + tickNanos : 0;
    activityAtLastTick = activity;
    ChannelOutboundBuffer queued = Internals.outboundBuffer(ctx.channel());
    if (inProgress && queued != null && queued.totalPendingWriteBytes() > 0) {
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
   * Closes from this handler down, so Vert.x's handler above (which would wait for queued writes to reach a
   * client that is not reading) is not in the way.
   */
  private void closeNow(CloseReason why) {
    tracker.ending(why);
    ctx.close();
  }
}
