package dev.registerservice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The errno in a failure, as the kernel gave it, or none: on epoll from the exception, on NIO from its text. */
class TransportErrorsTest {

  @BeforeAll
  static void loadNativeErrnos() {
    Epoll.ensureAvailability();
  }

  private static Errors.NativeIoException errno(int negative) {
    return new Errors.NativeIoException("writev", negative);
  }

  @Test
  void onEpollTheErrnoIsReadFromTheNativeException() {
    assertThat(TransportErrors.errno(errno(Errors.ERRNO_EPIPE_NEGATIVE), false)).isEqualTo(AbortCause.EPIPE);
    assertThat(TransportErrors.errno(errno(Errors.ERRNO_ECONNRESET_NEGATIVE), false))
        .isEqualTo(AbortCause.ECONNRESET);
    assertThat(TransportErrors.errno(errno(-110), false)).as("ETIMEDOUT").isEqualTo(AbortCause.OTHER);
    // A write made after the error: Netty's ClosedChannelException carries it as its cause.
    ClosedChannelException later = new ClosedChannelException();
    later.initCause(errno(Errors.ERRNO_EPIPE_NEGATIVE));
    assertThat(TransportErrors.errno(later, false)).isEqualTo(AbortCause.EPIPE);
  }

  @Test
  void aCloseWithoutAnErrnoHasNone() {
    assertThat(TransportErrors.errno(null, false)).isNull();
    assertThat(TransportErrors.errno(new ClosedChannelException(), false)).isNull();
    assertThat(TransportErrors.errno(new HttpClosedException("Connection was closed"), false)).isNull();
    assertThat(TransportErrors.errno(new VertxException("Connection was closed", true), false)).isNull();
    assertThat(TransportErrors.errno(new IllegalStateException("a handler's bug"), false)).isNull();
  }

  @Test
  void onEpollTheMessageIsNeverRead() {
    assertThat(TransportErrors.errno(new IOException("Broken pipe"), false)).isNull();
    assertThat(TransportErrors.errno(new IOException("Connection reset by peer"), false)).isNull();
  }

  @Test
  void onNioTheErrnoIsReadFromTheMessageOnly() {
    assertThat(TransportErrors.errno(new IOException("Broken pipe"), true)).isEqualTo(AbortCause.EPIPE);
    assertThat(TransportErrors.errno(new IOException("Connection reset by peer"), true))
        .isEqualTo(AbortCause.ECONNRESET);
    assertThat(TransportErrors.errno(new IOException("Connection reset"), true)).isEqualTo(AbortCause.ECONNRESET);
    assertThat(TransportErrors.errno(new IOException("No route to host"), true)).isNull();
    assertThat(TransportErrors.errno(new IOException((String) null), true)).isNull();
    // The message of an exception further down the chain counts too.
    assertThat(TransportErrors.errno(new ClosedChannelException().initCause(new IOException("Broken pipe")), true))
        .isEqualTo(AbortCause.EPIPE);
    assertThat(TransportErrors.errno(new IllegalStateException("Broken pipe"), true)).as("not an I/O error").isNull();
  }

  @Test
  void theCauseChainIsReadSixteenDeepAndNoFurther() {
    assertThat(TransportErrors.errno(wrapped(15), false)).isEqualTo(AbortCause.ECONNRESET);
    assertThat(TransportErrors.errno(wrapped(16), false)).isNull();
  }

  /** An ECONNRESET under {@code layers} wrappers. */
  private static Throwable wrapped(int layers) {
    Throwable t = errno(Errors.ERRNO_ECONNRESET_NEGATIVE);
    for (int i = 0; i < layers; i++) {
      t = new RuntimeException("layer " + i, t);
    }
    return t;
  }
}
