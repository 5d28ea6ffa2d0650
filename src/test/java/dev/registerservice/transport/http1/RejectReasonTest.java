package dev.registerservice.transport.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The verdict on a request that failed to decode, and the status each refusal is answered with. */
class RejectReasonTest {

  @Test
  void theStrictDecodersReasonNettysTooLongLinesAndAnythingElse() {
    for (RejectReason reason : RejectReason.values()) {
      assertThat(RejectReason.of(new StrictRequestDecoder.Rejection(reason))).isEqualTo(reason);
    }
    assertThat(RejectReason.of(new TooLongHttpLineException("line"))).isEqualTo(RejectReason.URI_TOO_LONG);
    assertThat(RejectReason.of(new TooLongHttpHeaderException("headers")))
        .isEqualTo(RejectReason.HEADERS_TOO_LARGE);
    assertThat(RejectReason.of(new DecoderException("bad"))).isEqualTo(RejectReason.BAD_REQUEST);
    assertThat(RejectReason.of(new IllegalArgumentException("bad"))).isEqualTo(RejectReason.BAD_REQUEST);
  }

  @Test
  void eachRefusalHasTheStatusRfc9112AndRfc9110AskFor() {
    Map<RejectReason, Integer> expected = new EnumMap<>(RejectReason.class);
    for (RejectReason reason : RejectReason.values()) {
      expected.put(reason, 400);
    }
    expected.put(RejectReason.URI_TOO_LONG, 414);
    expected.put(RejectReason.HEADERS_TOO_LARGE, 431);
    expected.put(RejectReason.UNSUPPORTED_VERSION, 505);
    expected.put(RejectReason.UNSUPPORTED_TRANSFER_CODING, 501);
    for (RejectReason reason : RejectReason.values()) {
      assertThat(reason.status()).as(reason.name()).isEqualTo(expected.get(reason));
      assertThat(reason.label()).isEqualTo(reason.name().toLowerCase(java.util.Locale.ROOT));
    }
  }
}
