package dev.registerservice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

class HeaderTimeoutTest {

  @Test
  void headersThatDoNotArriveInTimeGetA408AndAClose() {
    PipelineUnderTest p = new PipelineUnderTest(10, 0, 0);
    p.send("GET /user/register HTTP/1.1\r\nHo");
    p.advanceSeconds(9.9);
    assertThat(p.channel.isOpen()).as("open before the timeout").isTrue();
    // The loop's sweep checks four times per timeout: closed within 1.25 timeouts.
    p.advanceSeconds(2.6);
    assertThat(p.written()).startsWith("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n");
    assertThat(p.channel.isOpen()).isFalse();
    assertThat(p.closed(CloseReason.HEADER_TIMEOUT)).isEqualTo(1);
  }

  @Test
  void theTimeoutCountsFromTheFirstByteNotFromTheLast() {
    PipelineUnderTest p = new PipelineUnderTest(10, 0, 0);
    p.send("GET /user/register HTTP/1.1\r\n");
    for (int i = 0; i < 13; i++) {
      p.advanceSeconds(1);
      if (p.channel.isOpen()) {
        p.send("X: y\r\n");
      }
    }
    assertThat(p.channel.isOpen()).as("a byte a second does not keep it open").isFalse();
    assertThat(p.closed(CloseReason.HEADER_TIMEOUT)).isEqualTo(1);
  }

  @Test
  void headersCompleteInTimeStopTheTimerAndAnIdleConnectionIsNotTimedOut() {
    PipelineUnderTest p = new PipelineUnderTest(10, 0, 0);
    p.send("GET /user/register HTTP/1.1\r\nHost: a\r\n\r\n");
    assertThat((Object) p.channel.readInbound()).isNotNull();
    p.channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    p.advanceSeconds(60);
    assertThat(p.channel.isOpen()).as("idle between requests: the idle timeout's business").isTrue();
  }

  @Test
  void theNextRequestOnAKeepAliveConnectionStartsItsOwnTimeout() {
    PipelineUnderTest p = new PipelineUnderTest(10, 0, 0);
    p.send("GET /user/register HTTP/1.1\r\nHost: a\r\n\r\n");
    p.channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    p.advanceSeconds(8);
    p.send("GET /user/register HTTP/1.1\r\n");
    p.advanceSeconds(8);
    assertThat(p.channel.isOpen()).as("8 s into the second request's headers").isTrue();
    p.advanceSeconds(4.6);
    assertThat(p.channel.isOpen()).isFalse();
    assertThat(p.closed(CloseReason.HEADER_TIMEOUT)).isEqualTo(1);
  }

  @Test
  void inputAfterTheTimeoutIsDropped() {
    PipelineUnderTest p = new PipelineUnderTest(10, 0, 0);
    p.send("GET / HTTP/1.1\r\n");
    p.advanceSeconds(13);
    while (p.channel.readInbound() != null) {
      // What the decoder made of the closing connection.
    }
    ByteBuf late = Unpooled.copiedBuffer(new byte[] {'G', 'E', 'T'});
    p.gate().channelRead(p.channel.pipeline().firstContext(), late);
    assertThat(late.refCnt()).as("dropped and released").isZero();
    assertThat((Object) p.channel.readInbound()).isNull();
  }
}
