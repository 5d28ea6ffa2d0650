package dev.registerservice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The two facts of how a connection ends, recorded in order: the first to happen is the one that counts. */
class ConnectionEndTest {

  @BeforeAll
  static void loadNativeErrnos() {
    Epoll.ensureAvailability();
  }

  private static Errors.NativeIoException errno(int negative) {
    return new Errors.NativeIoException("readAddress", negative);
  }

  @Test
  void aDecisionOfOursCountsWhileOpenAndBeforeAnyErrnoAndOnlyTheFirst() {
    ConnectionEnd end = new ConnectionEnd(false);
    end.decided(CloseReason.SERVER_CLOSE, false);
    assertThat(end.ours()).as("a close asked for once closed decides nothing").isNull();
    end.decided(CloseReason.WRITE_TIMEOUT, true);
    end.decided(CloseReason.SHUTDOWN, true);
    end.readFailed(errno(Errors.ERRNO_ECONNRESET_NEGATIVE));
    assertThat(end.ours()).isEqualTo(CloseReason.WRITE_TIMEOUT);
    assertThat(end.errno(null)).as("what failed after our decision is of its making").isNull();
    assertThat(end.closeReason()).isEqualTo(CloseReason.WRITE_TIMEOUT);
  }

  @Test
  void anErrnoFirstMakesEveryLaterDecisionOfOursMoot() {
    ConnectionEnd end = new ConnectionEnd(false);
    end.readFailed(new IllegalStateException("not a transport failure"));
    end.readFailed(errno(Errors.ERRNO_ECONNRESET_NEGATIVE));
    end.readFailed(errno(Errors.ERRNO_EPIPE_NEGATIVE));
    end.decided(CloseReason.SERVER_CLOSE, true);
    assertThat(end.ours()).isNull();
    assertThat(end.errno(errno(Errors.ERRNO_EPIPE_NEGATIVE))).isEqualTo(AbortCause.ECONNRESET);
    assertThat(end.closeReason()).isEqualTo(CloseReason.CLIENT_RESET);
  }

  @Test
  void theLastWritesFailureCarriesTheErrnoThatClosedTheChannel() {
    EmbeddedChannel channel = new EmbeddedChannel();
    ConnectionEnd end = new ConnectionEnd(false);
    end.wrote(channel.voidPromise(), false);
    assertThat(end.errno(null)).isNull();
    var first = channel.newPromise();
    var last = channel.newPromise();
    end.wrote(first, false);
    end.wrote(last, true);
    assertThat(end.errno(null)).as("not done yet").isNull();
    first.setSuccess();
    ClosedChannelException closed = new ClosedChannelException();
    closed.initCause(errno(Errors.ERRNO_EPIPE_NEGATIVE));
    last.setFailure(closed);
    assertThat(end.errno(null)).isEqualTo(AbortCause.EPIPE);
    // A response's own failure is read first; a void promise never replaces the kept one.
    end.wrote(channel.voidPromise(), true);
    assertThat(end.errno(errno(Errors.ERRNO_ECONNRESET_NEGATIVE))).isEqualTo(AbortCause.ECONNRESET);
    assertThat(end.closeReason()).isEqualTo(CloseReason.CLIENT_CLOSE);
  }

  @Test
  void aResponsesLastWriteIsDroppedOnceItSucceededAndKeptWhileABodyWriteIsPending() {
    EmbeddedChannel channel = new EmbeddedChannel();
    ConnectionEnd end = new ConnectionEnd(false);
    var body = channel.newPromise();
    end.wrote(body, false);
    body.setSuccess();
    assertThat(end.keepsAWrite()).as("a body write, even a done one, until the response ends").isTrue();
    var last = channel.newPromise();
    end.wrote(last, true);
    assertThat(end.keepsAWrite()).as("the last write in flight").isTrue();
    last.setSuccess();
    assertThat(end.keepsAWrite()).as("an idle keep-alive connection keeps no promise").isFalse();
    assertThat(end.errno(null)).isNull();
    var failed = channel.newPromise();
    end.wrote(failed, true);
    failed.setFailure(errno(Errors.ERRNO_EPIPE_NEGATIVE));
    assertThat(end.keepsAWrite()).as("a failed last write is kept for its errno").isTrue();
    assertThat(end.errno(null)).isEqualTo(AbortCause.EPIPE);
    // An older last write that succeeds late never drops a newer one.
    var older = channel.newPromise();
    end.wrote(older, true);
    var newer = channel.newPromise();
    end.wrote(newer, true);
    older.setSuccess();
    assertThat(end.keepsAWrite()).isTrue();
  }

  @Test
  void aCleanFinIsAClientClose() {
    ConnectionEnd end = new ConnectionEnd(false);
    assertThat(end.closeReason()).isEqualTo(CloseReason.CLIENT_CLOSE);
  }
}
