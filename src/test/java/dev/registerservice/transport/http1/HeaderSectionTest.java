package dev.registerservice.transport.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/** The verdict on a parsed header section alone: Host, then the framing. */
class HeaderSectionTest {

  private static RejectReason of(HttpVersion version, String... nameValues) {
    HttpRequest request = new DefaultHttpRequest(version, HttpMethod.POST, "/user/register", false);
    for (int i = 0; i < nameValues.length; i += 2) {
      request.headers().add(nameValues[i], nameValues[i + 1]);
    }
    FramingPolicy framing = new FramingPolicy();
    framing.reset();
    return HeaderSection.rejection(request, framing);
  }

  @Test
  void hostIsRequiredOnceInHttp11AndAtMostOnceInHttp10AndMustBeAnAuthority() {
    assertThat(of(HttpVersion.HTTP_1_1, "Host", "example.com")).isNull();
    assertThat(of(HttpVersion.HTTP_1_1)).isEqualTo(RejectReason.MISSING_HOST);
    assertThat(of(HttpVersion.HTTP_1_0)).isNull();
    assertThat(of(HttpVersion.HTTP_1_1, "Host", "a", "host", "b")).isEqualTo(RejectReason.DUPLICATE_HOST);
    assertThat(of(HttpVersion.HTTP_1_0, "Host", "a", "Host", "a")).isEqualTo(RejectReason.DUPLICATE_HOST);
    assertThat(of(HttpVersion.HTTP_1_1, "Host", "a b")).isEqualTo(RejectReason.BAD_HOST);
    assertThat(of(HttpVersion.HTTP_1_1, "Host", "a", "", "x")).isEqualTo(RejectReason.BAD_REQUEST);
  }

  @Test
  void theFramingHeadersGoToTheFramingPolicy() {
    assertThat(of(HttpVersion.HTTP_1_1, "Host", "a", "Content-Length", "3", "Transfer-Encoding", "chunked"))
        .isEqualTo(RejectReason.CONTENT_LENGTH_WITH_TRANSFER_ENCODING);
    assertThat(of(HttpVersion.HTTP_1_0, "Transfer-Encoding", "chunked"))
        .isEqualTo(RejectReason.TRANSFER_ENCODING_IN_HTTP10);
    assertThat(of(HttpVersion.HTTP_1_1, "Host", "a", "transfer-encoding", "gzip, chunked"))
        .isEqualTo(RejectReason.UNSUPPORTED_TRANSFER_CODING);
    assertThat(of(HttpVersion.HTTP_1_1, "Host", "a", "Transfer-Encoding", "chunked")).isNull();
    // The Host verdict comes before the framing's.
    assertThat(of(HttpVersion.HTTP_1_1, "Transfer-Encoding", "gzip")).isEqualTo(RejectReason.MISSING_HOST);
  }
}
