package dev.registerservice.metrics;

import java.util.Locale;

/** Why a request was refused before any handler ran: the {@code reason} tag of {@code http_server_requests_rejected_total}. */
public enum RejectReason {
  /** The request line or headers could not be parsed (bad syntax, bad version, control bytes, bad chunk size). */
  BAD_REQUEST,
  /** The request line is longer than the server accepts (414). */
  URI_TOO_LONG,
  /** The header section is larger than the server accepts (431). */
  HEADERS_TOO_LARGE,
  /** An HTTP version other than 1.0 and 1.1 (505, RFC 9110 section 15.6.6). */
  UNSUPPORTED_VERSION,
  /** HTTP/1.1 without exactly one Host header (RFC 9112 section 3.2). */
  MISSING_HOST,
  /** Both Content-Length and Transfer-Encoding: a request-smuggling attempt (RFC 9112 section 6.1). */
  CONTENT_LENGTH_WITH_TRANSFER_ENCODING,
  /** A Transfer-Encoding whose final coding is not chunked (RFC 9112 section 6.3). */
  BAD_TRANSFER_ENCODING;

  /** The tag value: the name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
