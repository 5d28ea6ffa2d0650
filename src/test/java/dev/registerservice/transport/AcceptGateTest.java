package dev.registerservice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.metrics.ConnectionMetrics;
import dev.registerservice.testing.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The listening socket's gate, on a stand-in listening channel: accepts past the cap closed at once and counted
 * as overload, the rest passed on as pending; failed accepts counted by errno, one WARN line without a stack
 * per interval, the socket's accepts paused, nothing left to reach the pipeline's tail.
 */
class AcceptGateTest {
  private final List<String> failed = new ArrayList<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final OpenConnections open = new OpenConnections(2);
  private final ConnectionMetrics connections = new ConnectionMetrics(open::count);
  private final AcceptGate gate = AcceptGate.traffic(open, connections, (server, error) ->
      failed.add(server + " " + error.label()));

  @BeforeAll
  static void loadNativeErrnos() {
    Epoll.ensureAvailability();
  }

  AcceptGateTest() {
    connections.bindTo(registry);
  }

  /** A listening socket stand-in, its gate installed from the connections it accepted (once for two). */
  private EmbeddedChannel listening(AcceptGate watching) {
    EmbeddedChannel listening = new EmbeddedChannel();
    watching.watch(new EmbeddedChannel(listening, DefaultChannelId.newInstance(), true, false).pipeline());
    assertThat(listening.pipeline().first()).as("installed from the first connection, first in line")
        .isNotNull().isSameAs(listening.pipeline().get("acceptGate"));
    // A second install would throw: the name is taken.
    watching.watch(new EmbeddedChannel(listening, DefaultChannelId.newInstance(), true, false).pipeline());
    return listening;
  }

  private static Channel accepted() {
    return new EmbeddedChannel(DefaultChannelId.newInstance(), false, false);
  }

  @Test
  void acceptsPastTheCapAreClosedAtOnceAndTheOthersPassOnAsPending() {
    EmbeddedChannel listening = listening(gate);
    assertThat(listening.pipeline().names()).containsOnlyOnce("acceptGate");
    assertThat(listening.pipeline().names().get(0)).as("before Netty's acceptor").isEqualTo("acceptGate");
    Channel first = accepted();
    Channel second = accepted();
    Channel third = accepted();
    listening.pipeline().fireChannelRead(first);
    listening.pipeline().fireChannelRead(second);
    listening.pipeline().fireChannelRead(third);
    assertThat((Object) listening.readInbound()).isSameAs(first);
    assertThat((Object) listening.readInbound()).isSameAs(second);
    assertThat((Object) listening.readInbound()).as("the third went no further").isNull();
    assertThat(first.isOpen()).isTrue();
    assertThat(first.attr(AcceptGate.PENDING).get()).isTrue();
    assertThat(third.isOpen()).isFalse();
    assertThat(third.attr(AcceptGate.PENDING).get()).isNull();
    assertThat(open.pending()).isEqualTo(2);
    assertThat(registry.get("http.server.connections.accepted").counter().count()).isEqualTo(1);
    assertThat(registry.get("http.server.connections.closed").tag("reason", "overload").counter().count())
        .isEqualTo(1);
  }

  @Test
  void aPendingConnectionBecomesOpenWhenItsTrackerCountsIt() {
    EmbeddedChannel listening = listening(gate);
    EmbeddedChannel first = new EmbeddedChannel();
    listening.pipeline().fireChannelRead(first);
    assertThat(open.pending()).isEqualTo(1);
    PipelineUnderTest tracked = PipelineUnderTest.on(first, open);
    assertThat(open.pending()).isZero();
    assertThat(open.count()).isEqualTo(1);
    assertThat(tracked.accepted()).as("counted accepted once, by its tracker").isEqualTo(1);
    PipelineUnderTest.on(new EmbeddedChannel(), open);
    assertThat(open.count()).isEqualTo(2);
    Channel past = accepted();
    listening.pipeline().fireChannelRead(past);
    assertThat(past.isOpen()).as("two open, the cap").isFalse();
  }

  @Test
  void failedAcceptsAreCountedByErrnoLoggedOncePerIntervalWithoutAStackAndPauseAccepting() {
    EmbeddedChannel listening = listening(gate);
    try (LogCapture log = LogCapture.attach()) {
      for (int i = 0; i < 5; i++) {
        listening.pipeline().fireExceptionCaught(Errors.newIOException("accept", -24));
      }
      listening.pipeline().fireExceptionCaught(Errors.newIOException("accept", -23));
      // On a socket that is not epoll's (NIO, as this stand-in), the errno is read from the JDK's message.
      listening.pipeline().fireExceptionCaught(new java.io.IOException("Too many open files"));
      listening.checkException(); // nothing reached the tail
      assertThat(failed).containsExactly("traffic emfile", "traffic emfile", "traffic emfile", "traffic emfile",
          "traffic emfile", "traffic enfile", "traffic emfile");
      assertThat(listening.config().isAutoRead()).as("accepts paused").isFalse();
      listening.advanceTimeBy(AcceptGate.PAUSE_MILLIS, TimeUnit.MILLISECONDS);
      listening.runScheduledPendingTasks();
      assertThat(listening.config().isAutoRead()).as("accepts again after the pause").isTrue();
      List<LogEvent> warnings = log.atLeast(Level.WARN);
      assertThat(warnings).hasSize(1);
      assertThat(warnings.get(0).getThrown()).isNull();
      assertThat(warnings.get(0).getMessage().getFormattedMessage()).isEqualTo("Accepting a connection on the traffic"
          + " port failed: EMFILE (accept(..) failed with error(-24): Too many open files); accepts on it pause for"
          + " 1 s, and the connections wait in the kernel's backlog. 0 more failed accepts not logged since the last"
          + " line. Open descriptors against the limit: process_files_open_files, process_files_max_files");
    }
  }

  @Test
  void theManagementPortsGateAdmitsEveryConnection() {
    EmbeddedChannel listening = listening(AcceptGate.management((server, error) -> failed.add(server)));
    for (int i = 0; i < 3; i++) {
      listening.pipeline().fireChannelRead(accepted());
    }
    assertThat(listening.inboundMessages()).hasSize(3);
    listening.pipeline().fireExceptionCaught(Errors.newIOException("accept", -24));
    assertThat(failed).containsExactly("management");
  }

  @Test
  void aConnectionWithoutAListeningSocketInstallsNothing() {
    EmbeddedChannel alone = new EmbeddedChannel();
    gate.watch(alone.pipeline());
    assertThat(alone.pipeline().names()).doesNotContain("acceptGate");
  }

  @Test
  void theErrnoOfAFailedAccept() {
    assertThat(AcceptError.of(Errors.newIOException("accept", -24), false)).isEqualTo(AcceptError.EMFILE);
    assertThat(AcceptError.of(Errors.newIOException("accept", -23), false)).isEqualTo(AcceptError.ENFILE);
    assertThat(AcceptError.of(Errors.newIOException("accept", -105), false)).isEqualTo(AcceptError.ENOBUFS);
    assertThat(AcceptError.of(Errors.newIOException("accept", -12), false)).isEqualTo(AcceptError.ENOMEM);
    assertThat(AcceptError.of(Errors.newIOException("accept", -22), false)).isEqualTo(AcceptError.OTHER);
    assertThat(AcceptError.of(new IOException("wrapped", Errors.newIOException("accept", -24)), false))
        .as("in the cause chain").isEqualTo(AcceptError.EMFILE);
    assertThat(AcceptError.of(new IOException("Too many open files"), false)).as("epoll: text not read")
        .isEqualTo(AcceptError.OTHER);
    assertThat(AcceptError.of(new IOException("Too many open files"), true)).isEqualTo(AcceptError.EMFILE);
    assertThat(AcceptError.of(new IOException("Too many open files in system"), true)).isEqualTo(AcceptError.ENFILE);
    assertThat(AcceptError.of(new IOException("No buffer space available"), true)).isEqualTo(AcceptError.ENOBUFS);
    assertThat(AcceptError.of(new IOException("Cannot allocate memory"), true)).isEqualTo(AcceptError.ENOMEM);
    assertThat(AcceptError.of(new IOException((String) null), true)).isEqualTo(AcceptError.OTHER);
    assertThat(AcceptError.of(null, true)).isEqualTo(AcceptError.OTHER);
  }
}
