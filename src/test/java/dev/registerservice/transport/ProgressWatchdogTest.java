package dev.registerservice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProgressWatchdogTest {

  @Test
  void anIdleConnectionClosesWithinOneAndAQuarterIdleTimeouts() {
    PipelineUnderTest p = new PipelineUnderTest(0, 60, 0);
    p.advanceSeconds(59);
    assertThat(p.channel.isOpen()).isTrue();
    p.advanceSeconds(16);
    assertThat(p.channel.isOpen()).isFalse();
    assertThat(p.closed(CloseReason.IDLE_TIMEOUT)).isEqualTo(1);
  }

  @Test
  void readsKeepAConnectionFromBeingIdle() {
    PipelineUnderTest p = new PipelineUnderTest(0, 60, 0);
    for (int i = 0; i < 10; i++) {
      p.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      p.channel.writeOutbound(new io.netty.handler.codec.http.DefaultFullHttpResponse(
          io.netty.handler.codec.http.HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpResponseStatus.OK));
      p.advanceSeconds(30);
    }
    assertThat(p.channel.isOpen()).isTrue();
  }

  @Test
  void aResponseInProgressIsNotIdleEvenWithoutTraffic() {
    PipelineUnderTest p = new PipelineUnderTest(0, 60, 30);
    p.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    p.advanceSeconds(300);
    assertThat(p.channel.isOpen()).as("a response still being computed is neither idle nor stuck").isTrue();
  }

  @Test
  void aResponseWhoseQueuedBytesDoNotMoveIsClosedByTheWriteTimeout() {
    PipelineUnderTest p = new PipelineUnderTest(0, 60, 30);
    p.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    // Written and not flushed: it stays queued, as it does for a client that does not read.
    p.channel.write(Unpooled.wrappedBuffer(new byte[4096]));
    p.advanceSeconds(29);
    assertThat(p.channel.isOpen()).isTrue();
    p.advanceSeconds(9);
    assertThat(p.channel.isOpen()).isFalse();
    assertThat(p.closed(CloseReason.WRITE_TIMEOUT)).isEqualTo(1);
  }

  @Test
  void aStallOfTheLoopItselfIsNotCountedAgainstTheClient() {
    PipelineUnderTest p = new PipelineUnderTest(0, 60, 30);
    p.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    p.channel.write(Unpooled.wrappedBuffer(new byte[4096]));
    p.advanceSeconds(20);
    // The loop runs nothing for 40 s (a GC pause, a starved process), then its sweep comes late, once.
    p.channel.advanceTimeBy(40, TimeUnit.SECONDS);
    p.channel.runScheduledPendingTasks();
    assertThat(p.channel.isOpen()).as("20 s of the client's time, and a stall of the server's").isTrue();
    p.advanceSeconds(19);
    assertThat(p.channel.isOpen()).isFalse();
    assertThat(p.closed(CloseReason.WRITE_TIMEOUT)).isEqualTo(1);
  }

  @Test
  void aClosedConnectionLeavesTheSweepAndNoTimerHoldsIt() {
    PipelineUnderTest p = new PipelineUnderTest(10, 60, 30);
    assertThat(p.sweep().size()).as("header timeout and watchdog").isEqualTo(2);
    p.channel.close();
    assertThat(p.sweep().size()).isZero();
  }

  @Test
  void withBothTimeoutsOffNothingIsEverClosed() {
    PipelineUnderTest p = new PipelineUnderTest(0, 0, 0);
    p.advanceSeconds(100_000);
    assertThat(p.channel.isOpen()).isTrue();
  }
}
