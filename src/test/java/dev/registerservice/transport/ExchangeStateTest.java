package dev.registerservice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where each connection's exchange stands, through the service's own install on an EmbeddedChannel. */
class ExchangeStateTest {

  private static ExchangeState state(PipelineUnderTest p) {
    return p.channel.attr(ExchangeState.KEY).get();
  }

  @Test
  void requestsResponsesAndBodiesInProgressAreCountedAndA100ContinueIsNotTheResponse() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    p.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    assertThat(state(p).requests()).isEqualTo(1);
    assertThat(state(p).readingBody()).isTrue();
    assertThat(state(p).responseInProgress()).isTrue();
    p.channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    assertThat(state(p).responseInProgress()).as("100 Continue is not the answer").isTrue();
    p.send("abcd");
    assertThat(state(p).readingBody()).isFalse();
    p.channel.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CREATED));
    assertThat(state(p).responseInProgress()).isTrue();
    p.channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    assertThat(state(p).responseInProgress()).isFalse();
    assertThat(state(p).writes()).isEqualTo(3);
  }

  @Test
  void everyResponseGetsADateAndConnectionCloseOnceShutdownHasBegun() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    p.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    HttpResponse before = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    p.channel.write(before);
    assertThat(before.headers().get(HttpHeaderNames.DATE)).endsWith(" GMT");
    assertThat(before.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
    p.shuttingDown.set(true);
    FullHttpResponse during = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    p.channel.write(during);
    assertThat(during.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
    FullHttpResponse informational = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE);
    p.channel.write(informational);
    assertThat(informational.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
  }

  /** The responses written to the socket since the last call (the test pipeline has no encoder). */
  private static List<HttpResponse> responses(PipelineUnderTest p) {
    List<HttpResponse> out = new ArrayList<>();
    for (Object msg; (msg = p.channel.readOutbound()) != null; ) {
      if (msg instanceof HttpResponse response) {
        out.add(response);
      }
    }
    return out;
  }

  @Test
  void aChunkedBodyFoundMalformedAfterItsRequestWentUpIsAnswered400OnceWhenNothingOfItsResponseWasWritten() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    p.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    p.send("zz\r\n");
    List<HttpResponse> answers = responses(p);
    assertThat(answers).hasSize(1);
    assertThat(answers.get(0).status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
    assertThat(answers.get(0).headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
    assertThat(answers.get(0).headers().get(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo("0");
    assertThat(state(p).responseInProgress()).isFalse();
    p.send("more garbage\r\n");
    assertThat(responses(p)).as("answered once").isEmpty();
  }

  @Test
  void aMalformedBodyUnderAResponseAlreadyBegunIsNotAnsweredAgain() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    p.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    p.channel.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    assertThat(responses(p)).hasSize(1);
    p.send("zz\r\n");
    assertThat(responses(p)).isEmpty();
  }
}
