package dev.registerservice.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The traffic cap: the configured one, or the file-descriptor limit minus the reserve when that is lower. */
class ConnectionCapTest {
  @Test
  void aLimitWithRoomKeepsTheConfiguredCap() {
    ConnectionCap cap = ConnectionCap.of(16_384, 1_048_576, 256);
    assertThat(cap.effective()).isEqualTo(16_384);
    assertThat(cap.lowered()).isFalse();
    assertThat(cap.describe()).isEqualTo("file descriptors: limit 1048576 (RLIMIT_NOFILE), 256 kept for all but"
        + " traffic connections (REGISTER_FD_RESERVE); traffic connections capped at 16384 (REGISTER_MAX_CONNECTIONS)");
  }

  @Test
  void aSmallLimitLowersTheCapToTheLimitMinusTheReserve() {
    ConnectionCap cap = ConnectionCap.of(16_384, 1_024, 256);
    assertThat(cap.effective()).isEqualTo(768);
    assertThat(cap.lowered()).isTrue();
    assertThat(cap.describe()).isEqualTo("file descriptors: limit 1024 (RLIMIT_NOFILE), 256 kept for all but"
        + " traffic connections (REGISTER_FD_RESERVE); traffic connections capped at 768, lowered from"
        + " REGISTER_MAX_CONNECTIONS 16384 so that the limit is never reached");
  }

  @Test
  void theBoundariesOfTheRoom() {
    assertThat(ConnectionCap.of(768, 1_024, 256).effective()).as("exactly the room").isEqualTo(768);
    assertThat(ConnectionCap.of(768, 1_024, 256).lowered()).isFalse();
    assertThat(ConnectionCap.of(769, 1_024, 256).effective()).isEqualTo(768);
    assertThat(ConnectionCap.of(769, 1_024, 256).lowered()).isTrue();
    assertThat(ConnectionCap.of(16_384, 257, 256).effective()).as("one descriptor of room").isEqualTo(1);
  }

  @Test
  void aReserveThatLeavesNoRoomFailsTheStartNamingTheKey() {
    assertThatThrownBy(() -> ConnectionCap.of(16_384, 256, 256)).isInstanceOf(IllegalStateException.class)
        .hasMessage("REGISTER_FD_RESERVE = 256 leaves no file descriptor for traffic connections: the process's"
            + " limit (RLIMIT_NOFILE) is 256; raise the limit (ulimit -n, the container runtime's nofile) or lower"
            + " the reserve");
  }

  @Test
  void anUnknownLimitKeepsTheConfiguredCap() {
    ConnectionCap cap = ConnectionCap.of(16_384, -1, 256);
    assertThat(cap.effective()).isEqualTo(16_384);
    assertThat(cap.lowered()).isFalse();
    assertThat(cap.describe()).isEqualTo("file-descriptor limit unknown on this platform; traffic connections capped"
        + " at 16384 (REGISTER_MAX_CONNECTIONS)");
    assertThatThrownBy(() -> ConnectionCap.of(16_384, 0, 256)).as("a limit of 0 is a limit")
        .isInstanceOf(IllegalStateException.class);
  }
}
