package dev.registerservice.transport.http1;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The request line's words and separators alone, split where Netty would split them. */
class RequestLineTest {

  /** Checks {@code line} word by word as Netty's hooks would: the first verdict, or null. */
  private static RejectReason check(String text) {
    byte[] line = text.getBytes(StandardCharsets.ISO_8859_1);
    int[] bounds = words(line);
    RequestLine requestLine = new RequestLine();
    RejectReason reason = requestLine.method(line, bounds[0], bounds[1] - bounds[0]);
    if (reason == null) {
      reason = requestLine.targetAt(bounds[2], bounds[3] - bounds[2]);
    }
    if (reason == null) {
      String method = text.substring(bounds[0], bounds[1]);
      reason = RequestLine.target(text.substring(bounds[2], bounds[3]), method);
    }
    return reason != null ? reason : requestLine.version(line, bounds[4], bounds[5] - bounds[4]);
  }

  /** Netty's split: words between runs of whitespace (SP, HTAB, VT, FF, CR). */
  private static int[] words(byte[] line) {
    int[] bounds = new int[6];
    int i = 0;
    for (int w = 0; w < 3; w++) {
      while (i < line.length && isWhite(line[i])) {
        i++;
      }
      bounds[2 * w] = i;
      while (i < line.length && (w == 2 || !isWhite(line[i]))) {
        i++;
      }
      int end = i;
      while (w == 2 && end > bounds[2 * w] && isWhite(line[end - 1])) {
        end--;
      }
      bounds[2 * w + 1] = end;
    }
    return bounds;
  }

  private static boolean isWhite(byte b) {
    return b == ' ' || b == '\t' || b == 0x0b || b == 0x0c || b == '\r';
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', nullValues = "none", value = {
      "GET /user/register HTTP/1.1|none",
      "GET /user/register HTTP/1.0|none",
      "GET /user/register HTTP/1.9|none",
      "OPTIONS * HTTP/1.1|none",
      "CONNECT example.com:443 HTTP/1.1|none",
      "GET http://example.com/x HTTP/1.1|none",
      "G@T /user/register HTTP/1.1|BAD_REQUEST",
      "GET  /user/register HTTP/1.1|BAD_REQUEST",
      "GET /user/register  HTTP/1.1|BAD_REQUEST",
      "GET\t/user/register HTTP/1.1|BAD_REQUEST",
      "GET /user/register http/1.1|BAD_REQUEST",
      "GET /user/register HTTP/1.10|BAD_REQUEST",
      "GET /user/register HTTP/11|BAD_REQUEST",
      "GET /user/register HTTP/2.0|UNSUPPORTED_VERSION",
      "GET /user/register HTTP/0.9|UNSUPPORTED_VERSION",
      "GET * HTTP/1.1|BAD_REQUEST_TARGET",
      "GET user/register HTTP/1.1|BAD_REQUEST_TARGET",
  })
  void eachLineGetsItsOneVerdict(String line, RejectReason expected) {
    assertThat(check(line)).as(line).isEqualTo(expected);
  }

  @Test
  void aLineWithoutATargetIsABadRequest() {
    assertThat(new RequestLine().targetAt(3, 0)).isEqualTo(RejectReason.BAD_REQUEST);
  }

  @Test
  void onlyAMinorVersionAboveOneIsServedAsOnePointOne() {
    byte[] line = "GET / HTTP/1.2".getBytes(StandardCharsets.US_ASCII);
    assertThat(RequestLine.aboveHttp11(line, 6)).isTrue();
    assertThat(RequestLine.aboveHttp11("GET / HTTP/1.1".getBytes(StandardCharsets.US_ASCII), 6)).isFalse();
    assertThat(RequestLine.aboveHttp11("GET / HTTP/1.0".getBytes(StandardCharsets.US_ASCII), 6)).isFalse();
  }
}
