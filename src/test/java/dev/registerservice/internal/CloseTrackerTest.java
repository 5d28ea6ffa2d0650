package dev.registerservice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CloseTrackerTest {

  @BeforeAll
  static void loadNativeErrnos() {
    // Errors' errno constants come from the native library.
    Epoll.ensureAvailability();
  }

  private static Errors.NativeIoException errno(int negative) {
    return new Errors.NativeIoException("write", negative);
  }

  @Test
  void aCloseWeAskForIsAServerCloseAndTheConnectionIsCountedOnce() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    assertThat(p.open.count()).isEqualTo(1);
    p.channel.close();
    assertThat(p.closed(CloseReason.SERVER_CLOSE)).isEqualTo(1);
    assertThat(p.closedInTotal()).isEqualTo(1);
    assertThat(p.open.count()).isZero();
  }

  @Test
  void aCloseThatDoesNotPassThroughThePipelineIsTheClients() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    // What Netty does for a read EOF: the channel closes itself, below every handler.
    p.channel.unsafe().close(p.channel.newPromise());
    assertThat(p.closed(CloseReason.CLIENT_CLOSE)).isEqualTo(1);
    assertThat(p.open.count()).isZero();
  }

  @Test
  void aResetOnReadIsAClientReset() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    p.channel.pipeline().fireExceptionCaught(errno(Errors.ERRNO_ECONNRESET_NEGATIVE));
    p.channel.unsafe().close(p.channel.newPromise());
    assertThat(p.closed(CloseReason.CLIENT_RESET)).isEqualTo(1);
  }

  @Test
  void aFailedWriteIsClassifiedByErrnoAndDecidesTheCloseReason() {
    PipelineUnderTest epipe = new PipelineUnderTest(0, 0, 0);
    assertThat(epipe.tracker().abortCause(errno(Errors.ERRNO_EPIPE_NEGATIVE))).isEqualTo(AbortCause.EPIPE);
    epipe.channel.unsafe().close(epipe.channel.newPromise());
    assertThat(epipe.closed(CloseReason.CLIENT_CLOSE)).isEqualTo(1);

    PipelineUnderTest reset = new PipelineUnderTest(0, 0, 0);
    // A later write fails with a ClosedChannelException whose cause is the errno.
    ClosedChannelException later = new ClosedChannelException();
    later.initCause(errno(Errors.ERRNO_ECONNRESET_NEGATIVE));
    assertThat(reset.tracker().abortCause(later)).isEqualTo(AbortCause.ECONNRESET);
    reset.channel.unsafe().close(reset.channel.newPromise());
    assertThat(reset.closed(CloseReason.CLIENT_RESET)).isEqualTo(1);

    PipelineUnderTest fin = new PipelineUnderTest(0, 0, 0);
    assertThat(fin.tracker().abortCause(new HttpClosedException("Connection was closed")))
        .isEqualTo(AbortCause.EOF);
  }

  @Test
  void aResponseCutByOurTimeoutIsATimeoutAndOneCutByShutdownIsNoAbort() {
    PipelineUnderTest timedOut = new PipelineUnderTest(0, 0, 0);
    timedOut.channel.pipeline().fireUserEventTriggered(CloseReason.WRITE_TIMEOUT);
    assertThat(timedOut.tracker().abortCause(new VertxException("Connection was closed", true)))
        .isEqualTo(AbortCause.TIMEOUT);

    PipelineUnderTest shutdown = new PipelineUnderTest(0, 0, 0);
    shutdown.shuttingDown.set(true);
    shutdown.channel.close();
    assertThat(shutdown.tracker().abortCause(new HttpClosedException("Connection was closed"))).isNull();
    assertThat(shutdown.closed(CloseReason.SHUTDOWN)).isEqualTo(1);
  }

  @Test
  void theFirstReasonWins() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    p.channel.pipeline().fireUserEventTriggered(CloseReason.IDLE_TIMEOUT);
    p.channel.pipeline().fireUserEventTriggered(CloseReason.OVERLOAD);
    p.channel.close();
    assertThat(p.closed(CloseReason.IDLE_TIMEOUT)).isEqualTo(1);
    assertThat(p.closedInTotal()).isEqualTo(1);
  }

  @Test
  void aRequestThatFailsToDecodeIsRejectedOnceAsAProtocolError() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    p.send("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n");
    assertThat(p.rejected(RejectReason.BAD_REQUEST)).isEqualTo(1);
    p.channel.close();
    assertThat(p.closed(CloseReason.PROTOCOL_ERROR)).isEqualTo(1);
  }

  @Test
  void aConnectionOverTheCapIsClosedAsOverload() {
    OpenConnections open = new OpenConnections();
    PipelineUnderTest first = new PipelineUnderTest(open, 1, 0, 0, 0);
    PipelineUnderTest second = new PipelineUnderTest(open, 1, 0, 0, 0);
    assertThat(first.channel.isOpen()).isTrue();
    assertThat(second.channel.isOpen()).isFalse();
    assertThat(second.closed(CloseReason.OVERLOAD)).isEqualTo(1);
    assertThat(open.count()).isEqualTo(1);
  }
}
