package dev.registerservice.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Vert.x's request decoder held to RFC 9112's grammar where Netty is lenient. Netty parses; this class
 * checks the raw bytes Netty hands to its protected hooks (the three words of the request line, each field
 * name), the header section once it is parsed (before Netty reconciles the framing headers), and the raw
 * bytes of every chunked body (size lines, extensions, delimiters, trailers), which Netty parses leniently
 * and privately. A refused request is marked as failed to decode with a {@link Rejected} cause: Vert.x then
 * runs the invalid-request handler (the status the reason carries + close), {@link Exchanges} reports the
 * reason to the {@link CloseTracker}, which counts it and closes lingering, and nothing after the refusal on this connection is decoded, so bytes smuggled behind it are
 * never served. Each check is a byte loop over bytes Netty already touched: no regex, no allocation.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

  /** A request refused by one of these checks; the reason becomes the rejection metric's tag. */
  static final class Rejected extends DecoderException {
    final RejectReason reason;

    Rejected(RejectReason reason) {
      super(reason.label());
      this.reason = reason;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  /** Netty caps a chunk size at an int; so do we, with the same line limit as the request line. */
  private static final int MAX_CHUNK_LINE = 4096;

  private boolean rejected;
  /** The buffer {@code super.decode} reads, while it runs: the field-name hook peeks at the next line's first byte. */
  private ByteBuf input;
  /** True from a request's first byte until its head is decoded. */
  private boolean inHead = true;
  /** A field line ended at the end of the input: the next line's first byte is checked for obs-fold on arrival. */
  private boolean peekPending;
  private final ChunkedBody body = new ChunkedBody();
  /** How many bytes at the buffer's reader index the chunked-body check has already seen. */
  private int bodyScanned;
  // The request line's words as Netty split them, to check the separators and the target against the method.
  private int methodStart;
  private int methodEnd;
  private int targetStart;
  private int targetEnd;
  /** The head just checked announced a chunked body (the only Transfer-Encoding check() lets through). */
  private boolean chunkedBody;
  /** Why check() refused the head just parsed: Netty 4.2.13+ may throw on the same framing afterwards and replace it. */
  private RejectReason headRefusal;

  StrictRequestDecoder(HttpServerOptions options) {
    super(options);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
    // Once a request is refused, nothing after it on this connection is decoded: it could be a smuggled request.
    if (rejected) {
      buffer.skipBytes(buffer.readableBytes());
      return;
    }
    if (peekPending) {
      if (!buffer.isReadable()) {
        return;
      }
      peekPending = false;
      if (isSpOrTab(buffer.getByte(buffer.readerIndex()))) {
        out.add(refusedHead(RejectReason.OBS_FOLD));
        buffer.skipBytes(buffer.readableBytes());
        return;
      }
    }
    if (body.active && !scanBody(buffer)) {
      out.add(refusedBody(body.failure));
      buffer.skipBytes(buffer.readableBytes());
      return;
    }
    int produced = out.size();
    int readerBefore = buffer.readerIndex();
    input = buffer;
    try {
      super.decode(ctx, buffer, out);
    } finally {
      input = null;
    }
    bodyScanned = Math.max(0, bodyScanned - (buffer.readerIndex() - readerBefore));
    for (int i = produced; i < out.size(); i++) {
      decoded(out.get(i), buffer);
    }
  }

  /** A connection that ends mid-request after a refusal must not produce a second refusal. */
  @Override
  protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    if (rejected) {
      in.skipBytes(in.readableBytes());
      return;
    }
    super.decodeLast(ctx, in, out);
  }

  /** Feeds the chunked-body check the bytes it has not seen yet; false when the body is malformed. */
  private boolean scanBody(ByteBuf buffer) {
    int from = buffer.readerIndex() + bodyScanned;
    int stop = body.scan(buffer, from, buffer.writerIndex());
    if (body.failure != null) {
      return false;
    }
    bodyScanned = stop - buffer.readerIndex();
    return true;
  }

  /** Looks at what Netty produced: starts the body check, normalises refusals, records the end of a request. */
  private void decoded(Object message, ByteBuf buffer) {
    if (message instanceof HttpRequest) {
      HttpRequest request = (HttpRequest) message;
      inHead = false;
      peekPending = false;
      // Netty's own Transfer-Encoding checks (4.2.13+: TE in HTTP/1.0, TE with Content-Length, a final coding
      // other than chunked) run after isContentAlwaysEmpty and overwrite its result: keep the reason found first.
      if (headRefusal != null && !(request.decoderResult().cause() instanceof Rejected)) {
        request.setDecoderResult(DecoderResult.failure(new Rejected(headRefusal)));
      }
      headRefusal = null;
      if (request.decoderResult().isSuccess() && !(message instanceof LastHttpContent) && chunkedBody) {
        // check() let only "Transfer-Encoding: chunked" through. Bytes of the body that came with the head are
        // checked before the request goes up, so the common case (one write) is refused as a whole: 400.
        body.start();
        bodyScanned = 0;
        if (!scanBody(buffer)) {
          request.setDecoderResult(DecoderResult.failure(new Rejected(body.failure)));
          buffer.skipBytes(buffer.readableBytes());
        }
      }
      if (request.decoderResult().isFailure()) {
        refused(request);
      }
    } else if (message instanceof HttpContent && ((HttpContent) message).decoderResult().isFailure()) {
      // Netty found the body malformed where the check above did not: same reason, same handling.
      HttpContent content = (HttpContent) message;
      if (!(content.decoderResult().cause() instanceof Rejected)) {
        content.setDecoderResult(DecoderResult.failure(new Rejected(RejectReason.BAD_CHUNK)));
      }
      rejected = true;
      body.active = false;
    }
    if (message instanceof LastHttpContent) {
      inHead = true;
      body.active = false;
    }
  }

  /**
   * Every refusal closes the connection, says so, and answers with an HTTP/1.1 status line whatever version
   * the request claimed (Vert.x echoes the request's version and derives Connection from its headers).
   */
  private void refused(HttpRequest request) {
    rejected = true;
    body.active = false;
    request.setProtocolVersion(HttpVersion.HTTP_1_1);
    request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
  }

  private HttpMessage refusedHead(RejectReason reason) {
    HttpRequest request = (HttpRequest) createInvalidMessage();
    request.setDecoderResult(DecoderResult.failure(new Rejected(reason)));
    refused(request);
    return request;
  }

  private HttpContent refusedBody(RejectReason reason) {
    rejected = true;
    body.active = false;
    HttpContent content = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
    content.setDecoderResult(DecoderResult.failure(new Rejected(reason)));
    return content;
  }

  // ---- the request line: Netty splits it leniently (any run of SP, HTAB, VT, FF, CR); we check the words.

  @Override
  protected String splitFirstWordInitialLine(byte[] line, int start, int length) {
    methodStart = start;
    methodEnd = start + length;
    for (int i = start; i < methodEnd; i++) {
      if (!Rfc9112.isTchar(line[i])) {
        throw new Rejected(RejectReason.BAD_REQUEST);
      }
    }
    return super.splitFirstWordInitialLine(line, start, length);
  }

  @Override
  protected String splitSecondWordInitialLine(byte[] line, int start, int length) {
    targetStart = start;
    targetEnd = start + length;
    if (length == 0) {
      // "GET" alone: the request line lacks words.
      throw new Rejected(RejectReason.BAD_REQUEST);
    }
    if (!Rfc9112.isRequestTarget(line, start, targetEnd, line, methodStart, methodEnd)) {
      throw new Rejected(RejectReason.BAD_REQUEST_TARGET);
    }
    return super.splitSecondWordInitialLine(line, start, length);
  }

  /**
   * The version: exactly {@code HTTP/DIGIT.DIGIT} after exactly one SP between the words. HTTP/1.x above 1.1
   * is served as 1.1 (RFC 9110 section 2.5: a higher minor version of the major version we speak); another
   * major version is 505. Netty would accept {@code http/01.1} and overflow on {@code HTTP/4294967295.255}.
   */
  @Override
  protected String splitThirdWordInitialLine(byte[] line, int start, int length) {
    boolean singleSpaces = methodEnd < line.length && line[methodEnd] == ' ' && targetStart == methodEnd + 1
        && line[targetEnd] == ' ' && start == targetEnd + 1;
    if (!singleSpaces || length != 8 || line[start] != 'H' || line[start + 1] != 'T' || line[start + 2] != 'T'
        || line[start + 3] != 'P' || line[start + 4] != '/' || !Rfc9112.isDigit(line[start + 5])
        || line[start + 6] != '.' || !Rfc9112.isDigit(line[start + 7])) {
      throw new Rejected(RejectReason.BAD_REQUEST);
    }
    if (line[start + 5] != '1') {
      throw new Rejected(RejectReason.UNSUPPORTED_VERSION);
    }
    if (line[start + 7] > '1') {
      return "HTTP/1.1";
    }
    return super.splitThirdWordInitialLine(line, start, length);
  }

  // ---- field lines: Netty unfolds obs-fold (a line starting with SP or HTAB) into the previous value.

  @Override
  protected AsciiString splitHeaderName(byte[] line, int start, int length) {
    if (inHead) {
      if (length == 0 || isSpOrTab(line[start])) {
        // Whitespace between the start-line and the first field line (RFC 9112 section 2.2).
        throw new Rejected(RejectReason.BAD_REQUEST);
      }
      // Netty has just consumed this line: the byte after it starts the next line, or the empty line.
      ByteBuf in = input;
      if (in != null && in.isReadable()) {
        if (isSpOrTab(in.getByte(in.readerIndex()))) {
          throw new Rejected(RejectReason.OBS_FOLD);
        }
      } else {
        peekPending = true;
      }
    }
    return super.splitHeaderName(line, start, length);
  }

  /** Called once the header section is parsed, before Netty reconciles the framing headers. */
  @Override
  protected boolean isContentAlwaysEmpty(HttpMessage message) {
    chunkedBody = false;
    RejectReason reason = message.decoderResult().isSuccess() ? check((HttpRequest) message) : null;
    headRefusal = reason;
    if (reason != null) {
      message.setDecoderResult(DecoderResult.failure(new Rejected(reason)));
    }
    rejected |= message.decoderResult().isFailure();
    return super.isContentAlwaysEmpty(message);
  }

  private RejectReason check(HttpRequest request) {
    HttpVersion version = request.protocolVersion();
    // One pass over the headers, allocating nothing per request but the iterator.
    int hosts = 0;
    boolean badHost = false;
    boolean contentLength = false;
    boolean transferEncoding = false;
    int codings = 0;
    int chunked = 0;
    boolean lastIsChunked = false;
    boolean badCoding = false;
    Iterator<Map.Entry<CharSequence, CharSequence>> headers = request.headers().iteratorCharSequence();
    while (headers.hasNext()) {
      Map.Entry<CharSequence, CharSequence> header = headers.next();
      CharSequence name = header.getKey();
      if (name.length() == 0) {
        return RejectReason.BAD_REQUEST;
      }
      if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
        hosts++;
        badHost |= !Rfc9112.isHostHeader(header.getValue());
      } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONTENT_LENGTH)) {
        contentLength = true;
      } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)) {
        transferEncoding = true;
        // The codings of all fields in order, as one list (RFC 9110 section 5.3); empty elements are ignored.
        CharSequence value = header.getValue();
        int i = 0;
        int end = value.length();
        while (i <= end) {
          int comma = i;
          while (comma < end && value.charAt(comma) != ',') {
            comma++;
          }
          int from = i;
          int to = comma;
          while (from < to && isSpOrTab((byte) value.charAt(from))) {
            from++;
          }
          while (to > from && isSpOrTab((byte) value.charAt(to - 1))) {
            to--;
          }
          if (to > from) {
            codings++;
            lastIsChunked = to - from == 7 && AsciiString.regionMatches(value, true, from, HttpHeaderValues.CHUNKED, 0, 7);
            if (lastIsChunked) {
              chunked++;
            } else {
              badCoding |= !Rfc9112.isCoding(value, from, to);
            }
          }
          i = comma + 1;
        }
      }
    }
    if (hosts > 1) {
      return RejectReason.DUPLICATE_HOST;
    }
    if (version == HttpVersion.HTTP_1_1 && hosts == 0) {
      return RejectReason.MISSING_HOST;
    }
    if (badHost) {
      return RejectReason.BAD_HOST;
    }
    if (!transferEncoding) {
      return null;
    }
    if (version == HttpVersion.HTTP_1_0) {
      // RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
      return RejectReason.TRANSFER_ENCODING_IN_HTTP10;
    }
    if (contentLength) {
      return RejectReason.CONTENT_LENGTH_WITH_TRANSFER_ENCODING;
    }
    if (badCoding || !lastIsChunked || chunked != 1) {
      // The body's length cannot be determined: 400 (RFC 9112 section 6.3).
      return RejectReason.BAD_TRANSFER_ENCODING;
    }
    // Framing is clear (chunked, once, last) but a coding before it is one we do not implement: 501.
    if (codings != 1) {
      return RejectReason.UNSUPPORTED_TRANSFER_CODING;
    }
    chunkedBody = true;
    return null;
  }

  private static boolean isSpOrTab(byte b) {
    return b == ' ' || b == '\t';
  }

  /**
   * The chunked body's framing, checked byte by byte against RFC 9112 section 7.1 ahead of Netty: a size of
   * 1*HEXDIG (at most an int, as Netty), then extensions {@code *( BWS ";" BWS name [ BWS "=" BWS value ] )}
   * with token names and token or quoted-string values, CRLF; the data and its CRLF; after the last chunk,
   * trailer lines up to the empty line. Data bytes are skipped by count, not read. Bare CR or LF anywhere in
   * the framing, leading or trailing junk, an obs-fold in the trailers: malformed.
   */
  static final class ChunkedBody {
    private static final int SIZE_FIRST = 0;
    private static final int SIZE = 1;
    private static final int BWS_SEMI = 2;
    private static final int EXT_NAME_FIRST = 3;
    private static final int EXT_NAME = 4;
    private static final int BWS_NAME = 5;
    private static final int EXT_VALUE_FIRST = 6;
    private static final int EXT_VALUE_TOKEN = 7;
    private static final int EXT_QUOTED = 8;
    private static final int EXT_QUOTED_PAIR = 9;
    private static final int AFTER_QUOTED = 10;
    private static final int SIZE_LF = 11;
    private static final int DATA = 12;
    private static final int DATA_CR = 13;
    private static final int DATA_LF = 14;
    private static final int TRAILER_START = 15;
    private static final int TRAILER_LINE = 16;
    private static final int TRAILER_LF = 17;
    private static final int END_LF = 18;
    private static final int DONE = 19;

    boolean active;
    RejectReason failure;
    private int state;
    private long size;
    private int lineLength;

    void start() {
      active = true;
      failure = null;
      state = SIZE_FIRST;
      size = 0;
      lineLength = 0;
    }

    /** Checks bytes [from, to); returns where it stopped (to, or just after the body's last byte). */
    int scan(ByteBuf in, int from, int to) {
      int i = from;
      while (i < to && state != DONE) {
        if (state == DATA) {
          int skip = (int) Math.min(size, to - i);
          i += skip;
          size -= skip;
          if (size == 0) {
            state = DATA_CR;
          }
          continue;
        }
        byte b = in.getByte(i++);
        if (state <= SIZE_LF && ++lineLength > MAX_CHUNK_LINE) {
          return fail(i, RejectReason.BAD_CHUNK);
        }
        int next = next(state, b);
        if (next < 0) {
          return fail(i, state == TRAILER_START && isSpOrTab(b) ? RejectReason.OBS_FOLD : RejectReason.BAD_CHUNK);
        }
        if (state == SIZE_FIRST || state == SIZE && next == SIZE) {
          size = size * 16 + Rfc9112.hexValue(b);
          if (size > Integer.MAX_VALUE) {
            return fail(i, RejectReason.BAD_CHUNK);
          }
        }
        if (next == SIZE_LF + 100) {
          // The size line's LF: data follows, or the trailer section after the last chunk.
          lineLength = 0;
          next = size == 0 ? TRAILER_START : DATA;
        }
        state = next;
      }
      if (state == DONE) {
        active = false;
      }
      return i;
    }

    /** The state after byte {@code b}, or -1 when {@code b} is not allowed there. */
    private static int next(int state, byte b) {
      boolean ws = isSpOrTab(b);
      switch (state) {
        case SIZE_FIRST:
          return Rfc9112.hexValue(b) >= 0 ? SIZE : -1;
        case SIZE:
          return Rfc9112.hexValue(b) >= 0 ? SIZE : b == ';' ? EXT_NAME_FIRST : b == '\r' ? SIZE_LF
              : ws ? BWS_SEMI : -1;
        case BWS_SEMI:
          return ws ? BWS_SEMI : b == ';' ? EXT_NAME_FIRST : -1;
        case EXT_NAME_FIRST:
          return ws ? EXT_NAME_FIRST : Rfc9112.isTchar(b) ? EXT_NAME : -1;
        case EXT_NAME:
          return Rfc9112.isTchar(b) ? EXT_NAME : b == '=' ? EXT_VALUE_FIRST : b == ';' ? EXT_NAME_FIRST
              : b == '\r' ? SIZE_LF : ws ? BWS_NAME : -1;
        case BWS_NAME:
          return ws ? BWS_NAME : b == '=' ? EXT_VALUE_FIRST : b == ';' ? EXT_NAME_FIRST : -1;
        case EXT_VALUE_FIRST:
          return ws ? EXT_VALUE_FIRST : b == '"' ? EXT_QUOTED : Rfc9112.isTchar(b) ? EXT_VALUE_TOKEN : -1;
        case EXT_VALUE_TOKEN:
        case AFTER_QUOTED:
          return state == EXT_VALUE_TOKEN && Rfc9112.isTchar(b) ? EXT_VALUE_TOKEN : b == ';' ? EXT_NAME_FIRST
              : b == '\r' ? SIZE_LF : ws ? BWS_SEMI : -1;
        case EXT_QUOTED:
          return b == '"' ? AFTER_QUOTED : b == '\\' ? EXT_QUOTED_PAIR : Rfc9112.isQdtext(b) ? EXT_QUOTED : -1;
        case EXT_QUOTED_PAIR:
          return ws || b == '"' || b == '\\' || Rfc9112.isQdtext(b) ? EXT_QUOTED : -1;
        case SIZE_LF:
          return b == '\n' ? SIZE_LF + 100 : -1;
        case DATA_CR:
          return b == '\r' ? DATA_LF : -1;
        case DATA_LF:
          return b == '\n' ? SIZE_FIRST : -1;
        case TRAILER_START:
          return b == '\r' ? END_LF : ws || b == '\n' ? -1 : TRAILER_LINE;
        case TRAILER_LINE:
          return b == '\r' ? TRAILER_LF : b == '\n' ? -1 : TRAILER_LINE;
        case TRAILER_LF:
          return b == '\n' ? TRAILER_START : -1;
        case END_LF:
          return b == '\n' ? DONE : -1;
        default:
          throw new IllegalStateException("chunked body state " + state);
      }
    }

    private int fail(int at, RejectReason reason) {
      failure = reason;
      active = false;
      return at;
    }
  }
}
