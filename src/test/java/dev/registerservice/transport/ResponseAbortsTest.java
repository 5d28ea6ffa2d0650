package dev.registerservice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which response an abort belongs to, once each, through the service's own install on an EmbeddedChannel: the
 * route table's recorder of each dispatched request, the phase, and the body bytes whose writes completed.
 */
class ResponseAbortsTest {

  @BeforeAll
  static void loadNativeErrnos() {
    Epoll.ensureAvailability();
  }

  private record Abort(String route, AbortCause cause, AbortPhase phase, long sent) {
  }

  private static AbortRecorder to(List<Abort> aborts, String route) {
    return (cause, phase, sent) -> aborts.add(new Abort(route, cause, phase, sent));
  }

  @Test
  void ofTwoPipelinedRequestsTheAbortIsTheOneBeingAnsweredAndTheOneNotYetAnswered() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = new ArrayList<>();
    p.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
    p.dispatch(to(aborts, "/a"));
    p.dispatch(to(aborts, "/b"));
    // /a answered in full; /b's status line out, then its body write fails.
    p.channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    p.channel.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    p.channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[300])));
    p.failWritesWith(new Errors.NativeIoException("writev", Errors.ERRNO_ECONNRESET_NEGATIVE));
    p.channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[200])));
    assertThat(aborts).containsExactly(new Abort("/b", AbortCause.ECONNRESET, AbortPhase.MID_BODY, 300));
  }

  /**
   * A long response keeps the promises of the writes in flight only: 10,000 body writes that succeeded are
   * folded into a byte count (a 1 GiB page kept every one before: 17 MB per connection by its end), and the
   * abort still reports every byte whose write completed.
   */
  @Test
  void aLongResponseKeepsOnlyItsWritesInFlightAndCountsEveryByteSent() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = new ArrayList<>();
    p.send("GET /long HTTP/1.1\r\nHost: a\r\n\r\n");
    p.dispatch(to(aborts, "/long"));
    p.channel.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    ResponseAborts handler = (ResponseAborts) p.channel.pipeline().get("responseAborts");
    for (int i = 0; i < 10_000; i++) {
      p.channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[100])));
      assertThat(handler.keptBodyWrites()).as("kept after write %d", i).isBetween(1, 4);
    }
    p.failWritesWith(new Errors.NativeIoException("writev", Errors.ERRNO_EPIPE_NEGATIVE));
    p.channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[100])));
    assertThat(aborts).containsExactly(new Abort("/long", AbortCause.EPIPE, AbortPhase.MID_BODY, 1_000_000));
  }

  @Test
  void aFinishedResponseKeepsNothingAndAnUndispatchedRequestsAnswerFreesItsPlace() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = new ArrayList<>();
    ResponseAborts handler = (ResponseAborts) p.channel.pipeline().get("responseAborts");
    p.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
    p.dispatch(to(aborts, "/a"));
    p.channel.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    p.channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[100])));
    assertThat(handler.keptBodyWrites()).isEqualTo(1);
    p.channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    assertThat(handler.keptBodyWrites()).as("an idle connection keeps no response").isZero();
    // A request no route dispatched (the invalid-request path answers it) is answered in full: the next
    // request's abort is the next request's.
    p.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    p.channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND));
    p.send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
    p.dispatch(to(aborts, "/b"));
    p.channel.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    p.channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[100])));
    p.failWritesWith(new Errors.NativeIoException("writev", Errors.ERRNO_EPIPE_NEGATIVE));
    p.channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[100])));
    assertThat(aborts).as("/b's own head and body, not /x's").containsExactly(
        new Abort("/b", AbortCause.EPIPE, AbortPhase.MID_BODY, 100));
  }

  @Test
  void aRequestNeverDispatchedAndA100ContinueCountNothing() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = new ArrayList<>();
    p.send("POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n");
    p.channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    p.channel.unsafe().close(p.channel.newPromise());
    assertThat(aborts).as("not dispatched: the invalid-request path or a closed connection answers it").isEmpty();

    PipelineUnderTest q = new PipelineUnderTest(0, 0, 0);
    q.send("POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n");
    q.dispatch(to(aborts, "/c"));
    q.channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    q.channel.unsafe().close(q.channel.newPromise());
    assertThat(aborts).as("the 100 Continue was no part of the answer").containsExactly(
        new Abort("/c", AbortCause.EOF, AbortPhase.BEFORE_HEADERS, 0));
  }

  @Test
  void aResponseCompleteBeforeTheCloseIsNoAbortAndEachIsCountedOnce() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    List<Abort> aborts = new ArrayList<>();
    p.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
    p.dispatch(to(aborts, "/a"));
    p.channel.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    p.channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    p.send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
    p.dispatch(to(aborts, "/b"));
    p.failWritesWith(new Errors.NativeIoException("writev", Errors.ERRNO_EPIPE_NEGATIVE));
    p.channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    assertThat(aborts).containsExactly(new Abort("/b", AbortCause.EPIPE, AbortPhase.BEFORE_HEADERS, 0));
  }
}
