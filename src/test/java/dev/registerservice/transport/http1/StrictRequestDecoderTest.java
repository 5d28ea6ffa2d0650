package dev.registerservice.transport.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpServerOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The strict decoder alone, on an {@link EmbeddedChannel}: the raw-byte checks (obs-fold peek, chunked-body
 * scan) keep their place in the input however it is cut into reads, down to one byte per read.
 */
class StrictRequestDecoderTest {
  private static final String CHUNKED_WITH_EXTENSIONS_AND_TRAILERS = "POST /x HTTP/1.1\r\nHost: h\r\n"
      + "Transfer-Encoding: chunked\r\n\r\n3;a=b;c=\"q \\\" d\"\r\nabc\r\n10 ; x = y\r\n0123456789abcdef\r\n"
      + "0\r\nX-T: 1\r\n\r\n";
  private static final String NEXT = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";

  /** Feeds {@code input} in pieces of {@code step} bytes; returns everything decoded, content bytes joined. */
  private static List<Object> decode(String input, int step) {
    EmbeddedChannel channel = new EmbeddedChannel(new StrictRequestDecoder(new HttpServerOptions()));
    byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
    List<Object> decoded = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += step) {
      channel.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(step, bytes.length - i)));
      for (Object o = channel.readInbound(); o != null; o = channel.readInbound()) {
        decoded.add(o);
      }
    }
    channel.finishAndReleaseAll();
    return decoded;
  }

  private static String body(List<Object> decoded) {
    StringBuilder body = new StringBuilder();
    for (Object o : decoded) {
      if (o instanceof HttpContent content && !(o instanceof HttpRequest)) {
        body.append(content.content().toString(StandardCharsets.ISO_8859_1));
      }
      ReferenceCountUtil.release(o);
    }
    return body.toString();
  }

  private static List<HttpRequest> requests(List<Object> decoded) {
    return decoded.stream().filter(HttpRequest.class::isInstance).map(HttpRequest.class::cast).toList();
  }

  private static RejectReason failure(List<Object> decoded) {
    for (Object o : decoded) {
      DecoderResult result = ((HttpObject) o).decoderResult();
      if (result.isFailure()) {
        return result.cause() instanceof StrictRequestDecoder.Rejection rejected ? rejected.reason
            : RejectReason.BAD_REQUEST;
      }
    }
    return null;
  }

  @ParameterizedTest(name = "{0} byte(s) per read")
  @ValueSource(ints = {1, 2, 3, 7, 64, 4096})
  void aValidChunkedRequestAndTheNextOneDecodeWhateverTheReads(int step) {
    List<Object> decoded = decode(CHUNKED_WITH_EXTENSIONS_AND_TRAILERS + NEXT, step);
    assertThat(failure(decoded)).isNull();
    assertThat(requests(decoded)).extracting(HttpRequest::uri).containsExactly("/x", "/next");
    assertThat(decoded.stream().filter(LastHttpContent.class::isInstance).count()).isEqualTo(2);
    assertThat(body(decoded)).isEqualTo("abc0123456789abcdef");
  }

  @ParameterizedTest(name = "{0} byte(s) per read")
  @ValueSource(ints = {1, 2, 5, 4096})
  void anObsFoldIsRefusedWhereverTheReadEnds(int step) {
    List<Object> decoded = decode("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n" + NEXT, step);
    assertThat(failure(decoded)).isEqualTo(RejectReason.OBS_FOLD);
    assertThat(requests(decoded)).hasSize(1).allSatisfy(r -> {
      assertThat(r.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_1);
      assertThat(r.headers().get("connection")).isEqualTo("close");
    });
    body(decoded);
  }

  @ParameterizedTest(name = "{0} byte(s) per read")
  @ValueSource(ints = {1, 3, 4096})
  void aMalformedChunkIsRefusedAndNothingAfterItIsDecoded(int step) {
    List<Object> decoded = decode("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3\r\nabc\r\n3 junk\r\nabc\r\n0\r\n\r\n" + NEXT, step);
    assertThat(failure(decoded)).isEqualTo(RejectReason.BAD_CHUNK);
    assertThat(requests(decoded)).extracting(HttpRequest::uri).doesNotContain("/next");
    body(decoded);
  }

  @Test
  void http12IsServedAs11AndOtherMajorsAre505() {
    List<Object> decoded = decode("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 4096);
    assertThat(failure(decoded)).isNull();
    assertThat(requests(decoded).get(0).protocolVersion()).isSameAs(HttpVersion.HTTP_1_1);
    body(decoded);
    decoded = decode("GET / HTTP/3.0\r\nHost: h\r\n\r\n", 4096);
    assertThat(failure(decoded)).isEqualTo(RejectReason.UNSUPPORTED_VERSION);
    assertThat(requests(decoded).get(0).protocolVersion()).isSameAs(HttpVersion.HTTP_1_1);
    body(decoded);
  }
}
