package dev.registerservice.transport.http1;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.Locale;

/** Why a request was refused before any handler ran: the {@code reason} tag of {@code http_server_requests_rejected_total}. */
public enum RejectReason {
  /** The request line or headers could not be parsed (bad syntax, bad version, control bytes, bad separators). */
  BAD_REQUEST(400),
  /** The request line is longer than the server accepts (414). */
  URI_TOO_LONG(414),
  /** The header section is larger than the server accepts (431). */
  HEADERS_TOO_LARGE(431),
  /** An HTTP major version other than 1 (505, RFC 9110 section 15.6.6). */
  UNSUPPORTED_VERSION(505),
  /** HTTP/1.1 without a Host header (RFC 9112 section 3.2). */
  MISSING_HOST(400),
  /** More than one Host header, in any version (RFC 9112 section 3.2). */
  DUPLICATE_HOST(400),
  /** A Host value that is not {@code host[:port]}, such as {@code a b} (RFC 9112 section 3.2). */
  BAD_HOST(400),
  /** A request-target of none of the four forms, with userinfo, or {@code *} for a method other than OPTIONS. */
  BAD_REQUEST_TARGET(400),
  /** A field line folded onto the previous one (obs-fold, RFC 9112 section 5.2). */
  OBS_FOLD(400),
  /** Both Content-Length and Transfer-Encoding: a request-smuggling attempt (RFC 9112 section 6.1). */
  CONTENT_LENGTH_WITH_TRANSFER_ENCODING(400),
  /** Transfer-Encoding in an HTTP/1.0 request: faulty framing (RFC 9112 section 6.1). */
  TRANSFER_ENCODING_IN_HTTP10(400),
  /** A Transfer-Encoding whose codings do not end in exactly one chunked (RFC 9112 section 6.3): 400. */
  BAD_TRANSFER_ENCODING(400),
  /** Chunked, once and last, after a coding the server does not implement, e.g. gzip (RFC 9112 section 6.1): 501. */
  UNSUPPORTED_TRANSFER_CODING(501),
  /** A malformed chunked body: size line, extension, data delimiter or trailer (RFC 9112 section 7.1). */
  BAD_CHUNK(400);

  private final int status;

  RejectReason(int status) {
    this.status = status;
  }

  /** The HTTP status the refusal is answered with. */
  public int status() {
    return status;
  }

  /**
   * The verdict on a request or body that failed to decode: the reason the strict decoder gave, Netty's
   * too-long line or header section, or a plain bad request for anything else the decoder threw.
   */
  public static RejectReason of(Throwable decodeFailure) {
    if (decodeFailure instanceof StrictRequestDecoder.Rejection rejection) {
      return rejection.reason;
    }
    if (decodeFailure instanceof TooLongHttpLineException) {
      return URI_TOO_LONG;
    }
    if (decodeFailure instanceof TooLongHttpHeaderException) {
      return HEADERS_TOO_LARGE;
    }
    return BAD_REQUEST;
  }

  /** The tag value: the name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
