package dev.registerservice.transport.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The chunked-body state machine alone, on a buffer nobody reads from (as while Netty waits for more bytes). */
class ChunkedBodyTest {

  /** The verdict on {@code body} fed {@code step} bytes at a time: null when well framed so far. */
  private static RejectReason scan(ChunkedBody check, String body, int step) {
    ByteBuf in = Unpooled.buffer();
    try {
      check.start();
      byte[] bytes = body.getBytes(StandardCharsets.ISO_8859_1);
      for (int i = 0; i < bytes.length; i += step) {
        in.writeBytes(bytes, i, Math.min(step, bytes.length - i));
        if (!check.scan(in)) {
          return check.failure();
        }
      }
      return null;
    } finally {
      in.release();
    }
  }

  @ParameterizedTest(name = "{0} byte(s) per read")
  @ValueSource(ints = {1, 2, 5, 4096})
  void extensionsDataAndATrailerEndTheBodyWhateverTheReads(int step) {
    ChunkedBody check = new ChunkedBody();
    String body = "3;a=b;c=\"q \\\" d\"\r\nabc\r\n10 ; x = y\r\n0123456789abcdef\r\n0;last\r\nX-T: 1\r\n\r\n";
    assertThat(scan(check, body, step)).isNull();
    assertThat(check.active()).as("the body's last CRLF ends the check").isFalse();
  }

  @Test
  void aBodyCutBeforeItsEndIsStillBeingChecked() {
    ChunkedBody check = new ChunkedBody();
    assertThat(scan(check, "3\r\nabc\r\n0\r\nX-T: 1\r\n", 1)).isNull();
    assertThat(check.active()).isTrue();
  }

  @Test
  void dataBytesAreSkippedNotParsed() {
    ChunkedBody check = new ChunkedBody();
    assertThat(scan(check, "4\r\n\r\n;\n\r\n0\r\n\r\n", 3)).isNull();
    assertThat(check.active()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "3\nabc\r\n0\r\n\r\n",           // bare LF ends the size line
      "3\r\nabc\n0\r\n\r\n",           // bare LF after the data
      "3\rabc\r\n0\r\n\r\n",           // bare CR
      "3\r\nabcd\r\n0\r\n\r\n",        // more data than the size
      "x\r\n",                         // no size
      " 3\r\n",                        // leading whitespace
      "3;\r\n",                        // an extension without a name
      "3;a=\"open\r\n",                // an unterminated quoted value
      "3;a b\r\n",                     // junk after an extension name
      "0\r\nX-T: 1\nX-U: 2\r\n\r\n",   // bare LF in a trailer
      "0\r\n\n",                       // bare LF instead of the last CRLF
      "80000000\r\n",                  // a size over an int
  })
  void malformedFramingIsABadChunk(String body) {
    assertThat(scan(new ChunkedBody(), body, 1)).isEqualTo(RejectReason.BAD_CHUNK);
    assertThat(scan(new ChunkedBody(), body, body.length())).isEqualTo(RejectReason.BAD_CHUNK);
  }

  @Test
  void theLargestIntSizeIsAccepted() {
    assertThat(scan(new ChunkedBody(), "7fffffff\r\nab", 64)).isNull();
  }

  @Test
  void aSizeLineLongerThanTheLimitIsABadChunkEvenWhenItsValueIsSmall() {
    String zeros = "0".repeat(ChunkedBody.MAX_SIZE_LINE - 3);
    assertThat(scan(new ChunkedBody(), zeros + "1\r\nx\r\n", 512)).as("the limit itself").isNull();
    assertThat(scan(new ChunkedBody(), "0" + zeros + "1\r\nx\r\n", 512)).isEqualTo(RejectReason.BAD_CHUNK);
  }

  @Test
  void anObsFoldInTheTrailersHasItsOwnReason() {
    assertThat(scan(new ChunkedBody(), "0\r\nX-T: 1\r\n continued\r\n\r\n", 1)).isEqualTo(RejectReason.OBS_FOLD);
  }

  @Test
  void startForgetsThePreviousBody() {
    ChunkedBody check = new ChunkedBody();
    assertThat(scan(check, "x", 1)).isEqualTo(RejectReason.BAD_CHUNK);
    assertThat(check.active()).isFalse();
    assertThat(scan(check, "1\r\nx\r\n0\r\n\r\n", 1)).isNull();
    assertThat(check.failure()).isNull();
  }

  @Test
  void bytesNettyConsumedAreNotScannedTwice() {
    ChunkedBody check = new ChunkedBody();
    ByteBuf in = Unpooled.copiedBuffer("3\r\nab", StandardCharsets.ISO_8859_1);
    try {
      check.start();
      assertThat(check.scan(in)).isTrue();
      in.skipBytes(3);
      check.consumed(3);
      in.writeBytes("c\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      assertThat(check.scan(in)).isTrue();
      assertThat(check.active()).isFalse();
    } finally {
      in.release();
    }
  }
}
