package dev.registerservice.transport;

import dev.registerservice.transport.http1.RejectReason;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ConnectionTrackerTest {

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

  /** One abort, as the route table's recorder receives it. */
  private record Abort(AbortCause cause, AbortPhase phase, long sentBytes) {
  }

  /** A GET decoded and dispatched, its status line written, 1,000 body bytes written: then the end comes. */
  private static List<Abort> answering(PipelineUnderTest p) {
    List<Abort> aborts = new ArrayList<>();
    p.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    p.dispatch((cause, phase, sent) -> aborts.add(new Abort(cause, phase, sent)));
    p.channel.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    p.channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[1_000])));
    return aborts;
  }

  private static void nextChunkFails(PipelineUnderTest p, Throwable failure) {
    p.failWritesWith(failure);
    p.channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[1_000])));
  }

  @Test
  void aResetOnReadIsAClientResetAndItsResponseAnEconnresetAbort() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = answering(p);
    p.channel.pipeline().fireExceptionCaught(errno(Errors.ERRNO_ECONNRESET_NEGATIVE));
    // Vert.x closes what failed; Netty closes it too, below the pipeline.
    p.channel.close();
    p.channel.unsafe().close(p.channel.newPromise());
    assertThat(p.closed(CloseReason.CLIENT_RESET)).isEqualTo(1);
    assertThat(p.closedInTotal()).isEqualTo(1);
    assertThat(aborts).containsExactly(new Abort(AbortCause.ECONNRESET, AbortPhase.MID_BODY, 1_000));
  }

  @Test
  void aWriteThatFailsWithEpipeIsAClientCloseAndItsResponseAnEpipeAbort() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = answering(p);
    nextChunkFails(p, errno(Errors.ERRNO_EPIPE_NEGATIVE));
    assertThat(p.closed(CloseReason.CLIENT_CLOSE)).isEqualTo(1);
    assertThat(aborts).containsExactly(new Abort(AbortCause.EPIPE, AbortPhase.MID_BODY, 1_000));
  }

  @Test
  void aWriteThatFailsWithEconnresetIsAClientResetEvenWhenVertxClosesAfterwards() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = answering(p);
    nextChunkFails(p, errno(Errors.ERRNO_ECONNRESET_NEGATIVE));
    // A close asked for once the transport closed decides nothing.
    p.channel.close();
    assertThat(p.closed(CloseReason.CLIENT_RESET)).isEqualTo(1);
    assertThat(p.closedInTotal()).isEqualTo(1);
    assertThat(aborts).containsExactly(new Abort(AbortCause.ECONNRESET, AbortPhase.MID_BODY, 1_000));
  }

  @Test
  void aWriteAfterTheFailureCarriesItsErrnoInItsCause() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = answering(p);
    // Writes made after the error fail with a ClosedChannelException whose cause is the errno.
    ClosedChannelException later = new ClosedChannelException();
    later.initCause(errno(Errors.ERRNO_ECONNRESET_NEGATIVE));
    nextChunkFails(p, later);
    assertThat(p.closed(CloseReason.CLIENT_RESET)).isEqualTo(1);
    assertThat(aborts).containsExactly(new Abort(AbortCause.ECONNRESET, AbortPhase.MID_BODY, 1_000));
  }

  @Test
  void anotherErrnoIsATransportErrorAndItsResponseAnOtherAbort() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = answering(p);
    nextChunkFails(p, errno(-110));
    assertThat(p.closed(CloseReason.TRANSPORT_ERROR)).isEqualTo(1);
    assertThat(aborts).containsExactly(new Abort(AbortCause.OTHER, AbortPhase.MID_BODY, 1_000));
  }

  @Test
  void aCleanFinUnderAResponseIsAnEofAbort() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = answering(p);
    p.channel.unsafe().close(p.channel.newPromise());
    assertThat(p.closed(CloseReason.CLIENT_CLOSE)).isEqualTo(1);
    assertThat(aborts).containsExactly(new Abort(AbortCause.EOF, AbortPhase.MID_BODY, 1_000));
  }

  @Test
  void aResetBeforeTheStatusLineIsBeforeHeaders() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = new ArrayList<>();
    p.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    p.dispatch((cause, phase, sent) -> aborts.add(new Abort(cause, phase, sent)));
    p.channel.pipeline().fireExceptionCaught(errno(Errors.ERRNO_ECONNRESET_NEGATIVE));
    p.channel.unsafe().close(p.channel.newPromise());
    assertThat(aborts).containsExactly(new Abort(AbortCause.ECONNRESET, AbortPhase.BEFORE_HEADERS, 0));
  }

  @Test
  void aResponseCutByOurTimeoutIsATimeoutAndTheResetAfterItChangesNothing() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = answering(p);
    p.channel.pipeline().fireUserEventTriggered(CloseReason.WRITE_TIMEOUT);
    p.channel.pipeline().fireExceptionCaught(errno(Errors.ERRNO_ECONNRESET_NEGATIVE));
    p.channel.close();
    assertThat(p.closed(CloseReason.WRITE_TIMEOUT)).isEqualTo(1);
    assertThat(aborts).containsExactly(new Abort(AbortCause.TIMEOUT, AbortPhase.MID_BODY, 1_000));
  }

  @Test
  void aResponseCutByShutdownIsNoAbort() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = answering(p);
    p.shuttingDown.set(true);
    p.channel.close();
    assertThat(p.closed(CloseReason.SHUTDOWN)).isEqualTo(1);
    assertThat(aborts).isEmpty();
  }

  @Test
  void aResponseWhoseLastWriteSucceededIsNoAbort() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = answering(p);
    p.channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    p.channel.unsafe().close(p.channel.newPromise());
    assertThat(p.closed(CloseReason.CLIENT_CLOSE)).isEqualTo(1);
    assertThat(aborts).isEmpty();
  }

  @Test
  void onNioAResetIsReadFromTheMessage() {
    // An EmbeddedChannel is no UnixChannel: the tracker reads it as NIO, whose errors carry no errno.
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = answering(p);
    p.channel.pipeline().fireExceptionCaught(new java.io.IOException("Connection reset by peer"));
    p.channel.unsafe().close(p.channel.newPromise());
    assertThat(p.closed(CloseReason.CLIENT_RESET)).isEqualTo(1);
    assertThat(aborts).containsExactly(new Abort(AbortCause.ECONNRESET, AbortPhase.MID_BODY, 1_000));
  }

  @Test
  void everyConnectionIsCountedAcceptedOnceAndOpenUntilItCloses() {
    OpenConnections open = new OpenConnections(10);
    PipelineUnderTest first = new PipelineUnderTest(open, 0, 0, 0);
    PipelineUnderTest second = new PipelineUnderTest(open, 0, 0, 0);
    assertThat(first.accepted()).isEqualTo(1);
    assertThat(second.accepted()).isEqualTo(1);
    assertThat(open.count()).isEqualTo(2);
    first.channel.close();
    assertThat(open.count()).isEqualTo(1);
  }

  @Test
  void aRefusedRequestGetsALingeringClose() {
    PipelineUnderTest p = PipelineUnderTest.duplex();
    p.send("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n");
    // Through the pipeline: EmbeddedChannel.close() itself cancels every task scheduled on its loop.
    p.channel.pipeline().close();
    // FIN after the refusal, the connection still open: what the client sends meanwhile is read and dropped.
    DuplexEmbeddedChannel socket = (DuplexEmbeddedChannel) p.channel;
    assertThat(socket.isOutputShutdown()).isTrue();
    assertThat(socket.isOpen()).isTrue();
    p.send("GET /behind HTTP/1.1\r\nHost: a\r\n\r\n");
    p.advanceSeconds(LingeringClose.MILLIS / 1000.0 - 0.2);
    assertThat(socket.isOpen()).isTrue();
    p.advanceSeconds(0.3);
    assertThat(socket.isOpen()).isFalse();
    assertThat(p.closed(CloseReason.PROTOCOL_ERROR)).isEqualTo(1);
    assertThat(p.closedInTotal()).isEqualTo(1);
  }

  @Test
  void aResponseSentBeforeItsBodyWasReadGetsALingeringCloseToo() {
    PipelineUnderTest p = PipelineUnderTest.duplex();
    p.tracker().lingerOnClose();
    p.channel.pipeline().close();
    assertThat(((DuplexEmbeddedChannel) p.channel).isOutputShutdown()).isTrue();
    assertThat(p.channel.isOpen()).isTrue();
    p.advanceSeconds(LingeringClose.MILLIS / 1000.0 + 0.1);
    assertThat(p.channel.isOpen()).isFalse();
    assertThat(p.closed(CloseReason.SERVER_CLOSE)).isEqualTo(1);
  }

  @Test
  void anOrdinaryCloseOfOursIsImmediateEvenOnASocket() {
    PipelineUnderTest p = PipelineUnderTest.duplex();
    p.channel.close();
    assertThat(((DuplexEmbeddedChannel) p.channel).isOutputShutdown()).isFalse();
    assertThat(p.channel.isOpen()).isFalse();
    assertThat(p.closed(CloseReason.SERVER_CLOSE)).isEqualTo(1);
  }

  @Test
  void shutdownClosesWhatItsTimeoutLeftOpenAsShutdown() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = answering(p);
    io.vertx.core.Promise<Void> closed = io.vertx.core.Promise.promise();
    p.tracker().closeForShutdown(closed);
    p.channel.runPendingTasks();
    assertThat(closed.future().isComplete()).isTrue();
    assertThat(p.channel.isOpen()).isFalse();
    assertThat(p.closed(CloseReason.SHUTDOWN)).isEqualTo(1);
    assertThat(aborts).isEmpty();
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
    OpenConnections open = new OpenConnections(1);
    PipelineUnderTest first = new PipelineUnderTest(open, 0, 0, 0);
    PipelineUnderTest second = new PipelineUnderTest(open, 0, 0, 0);
    assertThat(first.channel.isOpen()).isTrue();
    assertThat(second.channel.isOpen()).isFalse();
    assertThat(second.closed(CloseReason.OVERLOAD)).isEqualTo(1);
    assertThat(open.count()).isEqualTo(1);
  }
}
