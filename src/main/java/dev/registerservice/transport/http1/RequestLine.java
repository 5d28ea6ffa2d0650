package dev.registerservice.transport.http1;

/**
 * The request line's three words as Netty splits them (leniently: at any run of SP, HTAB, VT, FF or CR), checked
 * against RFC 9112 section 3: a token for the method, a request-target of one of the four forms, exactly
 * {@code HTTP/DIGIT.DIGIT} for the version, and exactly one SP between the words. Netty hands the words to its
 * hooks one after the other; this keeps where each lay in the line, to check the separators at the end.
 */
final class RequestLine {
  private int methodEnd;
  private int targetStart;
  private int targetEnd;

  /** The method's verdict: null for a token. */
  RejectReason method(byte[] line, int start, int length) {
    methodEnd = start + length;
    for (int i = start; i < methodEnd; i++) {
      if (!Rfc9112.isTchar(line[i])) {
        return RejectReason.BAD_REQUEST;
      }
    }
    return null;
  }

  /** Where the target lies; null unless it is missing ("GET" alone: the line lacks words). */
  RejectReason targetAt(int start, int length) {
    targetStart = start;
    targetEnd = start + length;
    return length == 0 ? RejectReason.BAD_REQUEST : null;
  }

  /** The target's verdict, for {@code method}: null for one of the four forms the method may use. */
  static RejectReason target(String target, String method) {
    return Rfc9112.isRequestTarget(target, method) ? null : RejectReason.BAD_REQUEST_TARGET;
  }

  /**
   * The version's verdict, and the separators': null for HTTP/1.0 and 1.1 and every 1.x (RFC 9110 section 2.5: a
   * higher minor version of the major version we speak is served as 1.1), 505 for another major version.
   * Netty would accept {@code http/01.1} and overflow on {@code HTTP/4294967295.255}.
   */
  RejectReason version(byte[] line, int start, int length) {
    boolean singleSpaces = methodEnd < line.length && line[methodEnd] == ' ' && targetStart == methodEnd + 1
        && line[targetEnd] == ' ' && start == targetEnd + 1;
    if (!singleSpaces || length != 8 || line[start] != 'H' || line[start + 1] != 'T' || line[start + 2] != 'T'
        || line[start + 3] != 'P' || line[start + 4] != '/' || !Rfc9112.isDigit(line[start + 5])
        || line[start + 6] != '.' || !Rfc9112.isDigit(line[start + 7])) {
      return RejectReason.BAD_REQUEST;
    }
    return line[start + 5] != '1' ? RejectReason.UNSUPPORTED_VERSION : null;
  }

  /** After a {@link #version} without a verdict: whether the minor version is above 1 (served as 1.1). */
  static boolean aboveHttp11(byte[] line, int start) {
    return line[start + 7] > '1';
  }
}
