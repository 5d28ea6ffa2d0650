package dev.registerservice.internal;

import java.util.Locale;

/** Why a request was refused before any handler ran: the {@code reason} tag of {@code http_server_requests_rejected_total}. */
public enum RejectReason {
  /** The request line or headers could not be parsed (bad syntax, bad version, control bytes, bad separators). */
  BAD_REQUEST,
  /** The request line is longer than the server accepts (414). */
  URI_TOO_LONG,
  /** The header section is larger than the server accepts (431). */
  HEADERS_TOO_LARGE,
  /** An HTTP major version other than 1 (505, RFC 9110 section 15.6.6). */
  UNSUPPORTED_VERSION,
  /** HTTP/1.1 without exactly one Host header, or more than one in any version (RFC 9112 section 3.2). */
  MISSING_HOST,
  /** A Host value that is not {@code host[:port]}, such as {@code a b} (RFC 9112 section 3.2). */
  BAD_HOST,
  /** A request-target of none of the four forms, with userinfo, or {@code *} for a method other than OPTIONS. */
  BAD_REQUEST_TARGET,
  /** A field line folded onto the previous one (obs-fold, RFC 9112 section 5.2). */
  OBS_FOLD,
  /** Both Content-Length and Transfer-Encoding: a request-smuggling attempt (RFC 9112 section 6.1). */
  CONTENT_LENGTH_WITH_TRANSFER_ENCODING,
  /** Transfer-Encoding in an HTTP/1.0 request: faulty framing (RFC 9112 section 6.1). */
  TRANSFER_ENCODING_IN_HTTP10,
  /** A Transfer-Encoding whose codings do not end in exactly one chunked (RFC 9112 section 6.3): 400. */
  BAD_TRANSFER_ENCODING,
  /** Chunked, once and last, after a coding the server does not implement, e.g. gzip (RFC 9112 section 6.1): 501. */
  UNSUPPORTED_TRANSFER_CODING,
  /** A malformed chunked body: size line, extension, data delimiter or trailer (RFC 9112 section 7.1). */
  BAD_CHUNK;

  /** The tag value: the name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
