package dev.registerservice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The two verdicts of how a connection ended, as pure functions of its two recorded facts (the close our side
 * decided first, the first errno the transport reported): every combination, each with its one answer.
 */
class EndVerdictsTest {
  private static final AbortCause[] ERRNOS = {null, AbortCause.EPIPE, AbortCause.ECONNRESET, AbortCause.OTHER};

  @Test
  void withoutADecisionOfOursTheErrnoDecidesTheCloseReason() {
    assertThat(CloseReason.of(null, null)).isEqualTo(CloseReason.CLIENT_CLOSE);
    assertThat(CloseReason.of(null, AbortCause.EPIPE)).isEqualTo(CloseReason.CLIENT_CLOSE);
    assertThat(CloseReason.of(null, AbortCause.ECONNRESET)).isEqualTo(CloseReason.CLIENT_RESET);
    assertThat(CloseReason.of(null, AbortCause.OTHER)).isEqualTo(CloseReason.TRANSPORT_ERROR);
  }

  @Test
  void aDecisionOfOursIsTheCloseReasonWhateverFollowed() {
    for (CloseReason ours : CloseReason.values()) {
      for (AbortCause errno : ERRNOS) {
        assertThat(CloseReason.of(ours, errno)).as("%s then %s", ours, errno).isEqualTo(ours);
      }
    }
  }

  @Test
  void withoutADecisionOfOursTheErrnoIsTheAbortCauseAndNoneIsAFin() {
    assertThat(AbortCause.of(null, null)).isEqualTo(AbortCause.EOF);
    assertThat(AbortCause.of(null, AbortCause.EPIPE)).isEqualTo(AbortCause.EPIPE);
    assertThat(AbortCause.of(null, AbortCause.ECONNRESET)).isEqualTo(AbortCause.ECONNRESET);
    assertThat(AbortCause.of(null, AbortCause.OTHER)).isEqualTo(AbortCause.OTHER);
  }

  @Test
  void ourTimeoutsAreTimeoutsOurShutdownCapAndRefusalsNoAbortAndAnyOtherCloseOfOursOther() {
    for (AbortCause errno : ERRNOS) {
      assertThat(AbortCause.of(CloseReason.WRITE_TIMEOUT, errno)).isEqualTo(AbortCause.TIMEOUT);
      assertThat(AbortCause.of(CloseReason.IDLE_TIMEOUT, errno)).isEqualTo(AbortCause.TIMEOUT);
      assertThat(AbortCause.of(CloseReason.HEADER_TIMEOUT, errno)).isEqualTo(AbortCause.TIMEOUT);
      assertThat(AbortCause.of(CloseReason.SHUTDOWN, errno)).isNull();
      assertThat(AbortCause.of(CloseReason.OVERLOAD, errno)).isNull();
      assertThat(AbortCause.of(CloseReason.PROTOCOL_ERROR, errno)).isNull();
      assertThat(AbortCause.of(CloseReason.SERVER_CLOSE, errno)).isEqualTo(AbortCause.OTHER);
    }
  }

  @Test
  void everyLabelIsTheLowerCaseName() {
    assertThat(Arrays.stream(CloseReason.values()).map(CloseReason::label)).contains("client_reset",
        "transport_error", "write_timeout");
    assertThat(Arrays.stream(AbortCause.values()).map(AbortCause::label)).containsExactly("epipe", "econnreset",
        "eof", "timeout", "other");
  }
}
