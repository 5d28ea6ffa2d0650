package dev.registerservice.transport;

import dev.registerservice.logging.LogLimiter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.AttributeKey;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * What a listening socket does with each accept, first in its pipeline (before Netty's acceptor hands the
 * connection to an event loop), on the acceptor's thread:
 * <ul>
 *   <li><b>admission</b> (the traffic port): a connection past the cap ({@link OpenConnections#cap}, counting
 *       those accepted and not yet on their loop) is closed at once, before it costs a loop anything
 *       ({@code overload}). Closing it on its loop instead let a burst of accepts outrun the loops' closes and
 *       take the descriptors the cap keeps free (1,200 connections at once against a cap of 768 under a limit
 *       of 1,024 reached EMFILE);
 *   <li><b>failed accepts</b>: counted by errno ({@link AcceptError}), logged at most once per
 *       {@value #LOG_INTERVAL_SECONDS} s on one line without a stack, rather than Netty's WARN with a stack for
 *       each ("reached at the tail of the pipeline"); the socket's accepts pause for 1 s, as Netty's acceptor
 *       pauses them, so that a full descriptor table is not retried in a spin.
 * </ul>
 * Vert.x offers no hook on the listening socket, so it is reached from a connection it accepted
 * ({@link Channel#parent()}): {@link #watch} on every new connection installs the gate once.
 */
public final class AcceptGate {
  /** Where a failed accept is counted: implemented by the metrics layer. */
  public interface Failures {
    void failed(String server, AcceptError error);
  }

  static final int LOG_INTERVAL_SECONDS = 10;
  static final long PAUSE_MILLIS = 1_000;
  private static final Logger log = LogManager.getLogger(AcceptGate.class);
  private static final AttributeKey<Boolean> WATCHED = AttributeKey.valueOf(AcceptGate.class, "watched");
  /** On a connection the gate let through, until its tracker counts it open. */
  static final AttributeKey<Boolean> PENDING = AttributeKey.valueOf(AcceptGate.class, "pending");

  private final String server;
  private final OpenConnections open;
  private final ConnectionRecorder admissions;
  private final Failures failures;
  private final LogLimiter logLimiter = new LogLimiter(Duration.ofSeconds(LOG_INTERVAL_SECONDS));

  private AcceptGate(String server, OpenConnections open, ConnectionRecorder admissions, Failures failures) {
    this.server = server;
    this.open = open;
    this.admissions = admissions;
    this.failures = failures;
  }

  /** The traffic port's gate: admission against {@code open}'s cap, reported to {@code admissions}. */
  public static AcceptGate traffic(OpenConnections open, ConnectionRecorder admissions, Failures failures) {
    return new AcceptGate("traffic", open, admissions, failures);
  }

  /** The management port's: failed accepts only. */
  public static AcceptGate management(Failures failures) {
    return new AcceptGate("management", null, null, failures);
  }

  /** Installs the gate on the listening socket that accepted {@code connection}'s channel, the first time. */
  public void watch(ChannelPipeline connection) {
    Channel listening = connection.channel().parent();
    if (listening != null && listening.attr(WATCHED).setIfAbsent(Boolean.TRUE) == null) {
      listening.pipeline().addFirst("acceptGate", new Gate());
    }
  }

  private final class Gate extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (open != null && msg instanceof Channel accepted) {
        if (open.count() + open.pending() >= open.cap()) {
          admissions.accepted();
          admissions.closed(CloseReason.OVERLOAD);
          accepted.unsafe().closeForcibly();
          return;
        }
        open.pendingAdded();
        accepted.attr(PENDING).set(Boolean.TRUE);
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      AcceptError error = AcceptError.of(cause, !(ctx.channel() instanceof UnixChannel));
      failures.failed(server, error);
      if (ctx.channel().config().isAutoRead()) {
        ctx.channel().config().setAutoRead(false);
        ctx.channel().eventLoop().schedule(() -> ctx.channel().config().setAutoRead(true), PAUSE_MILLIS,
            TimeUnit.MILLISECONDS);
      }
      logLimiter.admit().ifPresent(heldBack -> log.warn("Accepting a connection on the {} port failed: {} ({});"
          + " accepts on it pause for 1 s, and the connections wait in the kernel's backlog. {} more failed"
          + " accepts not logged since the last line. Open descriptors against the limit:"
          + " process_files_open_files, process_files_max_files", server, error.label().toUpperCase(),
          cause.getMessage(), heldBack));
    }
  }
}
