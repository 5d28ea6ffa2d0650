package dev.registerservice.metrics;

/** Why a request was refused before any handler ran: the {@code reason} tag of {@code http_server_requests_rejected_total}. */
public enum RejectReason {
  /** The request line or headers could not be parsed (bad syntax, bad version, control bytes, bad chunk size). */
  BAD_REQUEST("bad_request"),
  /** The request line is longer than the server accepts (414). */
  URI_TOO_LONG("uri_too_long"),
  /** The header section is larger than the server accepts (431). */
  HEADERS_TOO_LARGE("headers_too_large"),
  /** An HTTP version other than 1.0 and 1.1 (505, RFC 9110 section 15.6.6). */
  UNSUPPORTED_VERSION("unsupported_version"),
  /** HTTP/1.1 without exactly one Host header (RFC 9112 section 3.2). */
  MISSING_HOST("missing_host"),
  /** Both Content-Length and Transfer-Encoding: a request-smuggling attempt (RFC 9112 section 6.1). */
  CONTENT_LENGTH_WITH_TRANSFER_ENCODING("content_length_with_transfer_encoding"),
  /** A Transfer-Encoding whose final coding is not chunked (RFC 9112 section 6.3). */
  BAD_TRANSFER_ENCODING("bad_transfer_encoding");

  private final String label;

  RejectReason(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
