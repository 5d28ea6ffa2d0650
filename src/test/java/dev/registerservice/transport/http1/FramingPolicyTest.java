package dev.registerservice.transport.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The framing decision alone: Transfer-Encoding and Content-Length fields in, a rejection or a body kind out. */
class FramingPolicyTest {

  private static FramingPolicy fed(String... transferEncodings) {
    FramingPolicy policy = new FramingPolicy();
    policy.reset();
    for (String value : transferEncodings) {
      policy.transferEncoding(value);
    }
    return policy;
  }

  @Test
  void noTransferEncodingIsNoChunkedBody() {
    FramingPolicy policy = fed();
    policy.contentLength();
    assertThat(policy.rejection(HttpVersion.HTTP_1_1)).isNull();
    assertThat(policy.chunkedBody()).isFalse();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"chunked", "CHUNKED", "' \tchunked '", "', ,chunked,'",
      "'chunked, '", "'chunked,\t'"})
  void chunkedOnceAndLastIsAChunkedBody(String value) {
    FramingPolicy policy = fed(value);
    assertThat(policy.rejection(HttpVersion.HTTP_1_1)).isNull();
    assertThat(policy.chunkedBody()).isTrue();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "chunked, gzip|BAD_TRANSFER_ENCODING",
      "chunked, chunked|BAD_TRANSFER_ENCODING",
      "chunked;x=1|BAD_TRANSFER_ENCODING",
      "gzip|BAD_TRANSFER_ENCODING",
      "g@zip, chunked|BAD_TRANSFER_ENCODING",
      "''|BAD_TRANSFER_ENCODING",
      "gzip, chunked|UNSUPPORTED_TRANSFER_CODING",
      "gzip;q=\"1\" , chunked|UNSUPPORTED_TRANSFER_CODING",
  })
  void otherCodingListsAreRefused(String value, RejectReason reason) {
    FramingPolicy policy = fed(value);
    assertThat(policy.rejection(HttpVersion.HTTP_1_1)).isEqualTo(reason);
    assertThat(policy.chunkedBody()).isFalse();
  }

  @Test
  void theCodingsOfAllFieldsAreOneList() {
    assertThat(fed("gzip", "chunked").rejection(HttpVersion.HTTP_1_1)).isEqualTo(RejectReason.UNSUPPORTED_TRANSFER_CODING);
    assertThat(fed("chunked", "chunked").rejection(HttpVersion.HTTP_1_1)).isEqualTo(RejectReason.BAD_TRANSFER_ENCODING);
  }

  @Test
  void transferEncodingInHttp10IsRefusedBeforeTheCodingsAreJudged() {
    assertThat(fed("chunked").rejection(HttpVersion.HTTP_1_0)).isEqualTo(RejectReason.TRANSFER_ENCODING_IN_HTTP10);
    assertThat(fed("gzip").rejection(HttpVersion.HTTP_1_0)).isEqualTo(RejectReason.TRANSFER_ENCODING_IN_HTTP10);
  }

  @Test
  void transferEncodingWithContentLengthIsRefused() {
    FramingPolicy policy = fed("chunked");
    policy.contentLength();
    assertThat(policy.rejection(HttpVersion.HTTP_1_1)).isEqualTo(RejectReason.CONTENT_LENGTH_WITH_TRANSFER_ENCODING);
    assertThat(policy.chunkedBody()).isFalse();
  }

  @Test
  void resetForgetsThePreviousHead() {
    FramingPolicy policy = fed("chunked");
    policy.contentLength();
    assertThat(policy.rejection(HttpVersion.HTTP_1_1)).isNotNull();
    policy.reset();
    assertThat(policy.rejection(HttpVersion.HTTP_1_1)).isNull();
    policy.transferEncoding("chunked");
    assertThat(policy.rejection(HttpVersion.HTTP_1_1)).isNull();
    assertThat(policy.chunkedBody()).isTrue();
    policy.reset();
    assertThat(policy.chunkedBody()).isFalse();
  }
}
