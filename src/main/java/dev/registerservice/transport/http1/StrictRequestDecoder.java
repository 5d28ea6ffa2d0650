package dev.registerservice.transport.http1;

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
 * Vert.x's request decoder held to RFC 9112's grammar where Netty is lenient. Netty parses; this class checks
 * the raw bytes Netty hands to its protected hooks (the three words of the request line, each field name, with
 * the grammars of {@link Rfc9112}), the header section once it is parsed (the Host field here, the framing by
 * {@link FramingPolicy}, both before Netty reconciles the framing headers), and the raw bytes of every chunked
 * body ({@link ChunkedBody}), which Netty parses leniently and privately. A refused request is marked as failed
 * to decode with a {@link Rejected} cause: Vert.x then runs the invalid-request handler (the status the reason
 * carries + close), {@link Exchanges} reports the reason to the {@link ConnectionTracker}, which counts it and closes
 * lingering, and nothing after the refusal on this connection is decoded ({@link #refuse()}), so bytes smuggled
 * behind it are never served. Each check is a byte loop over bytes Netty already touched: no regex, no allocation.
 */
public final class StrictRequestDecoder extends VertxHttpRequestDecoder {

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

  /** True once a request is refused: nothing after it on this connection is decoded. Set by {@link #refuse()} only. */
  private boolean rejected;
  /** The buffer {@code super.decode} reads, while it runs: the field-name hook peeks at the next line's first byte. */
  private ByteBuf input;
  /** True from a request's first byte until its head is decoded. */
  private boolean inHead = true;
  /** A field line ended at the end of the input: the next line's first byte is checked for obs-fold on arrival. */
  private boolean peekPending;
  private final FramingPolicy framing = new FramingPolicy();
  private final ChunkedBody body = new ChunkedBody();
  // The request line's words as Netty split them, to check the separators and the target against the method.
  private int methodEnd;
  private int targetStart;
  private int targetEnd;
  private String method;
  /** Why check() refused the head just parsed: Netty 4.2.13+ may throw on the same framing afterwards and replace it. */
  private RejectReason headRefusal;

  public StrictRequestDecoder(HttpServerOptions options) {
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
      if (Rfc9112.isSpOrTab(buffer.getByte(buffer.readerIndex()))) {
        out.add(refusedHead(RejectReason.OBS_FOLD));
        buffer.skipBytes(buffer.readableBytes());
        return;
      }
    }
    if (body.active() && !body.scan(buffer)) {
      out.add(refusedBody(body.failure()));
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
    body.consumed(buffer.readerIndex() - readerBefore);
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
      if (request.decoderResult().isSuccess() && !(message instanceof LastHttpContent) && framing.chunkedBody()) {
        // The framing policy let only "Transfer-Encoding: chunked" through. Bytes of the body that came with the
        // head are checked before the request goes up, so the common case (one write) is refused as a whole: 400.
        body.start();
        if (!body.scan(buffer)) {
          request.setDecoderResult(DecoderResult.failure(new Rejected(body.failure())));
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
      refuse();
    }
    if (message instanceof LastHttpContent) {
      inHead = true;
      body.stop();
    }
  }

  /** The one place a connection turns refused: nothing after this point is decoded or checked. */
  private void refuse() {
    rejected = true;
    body.stop();
  }

  /**
   * Every refusal closes the connection, says so, and answers with an HTTP/1.1 status line whatever version
   * the request claimed (Vert.x echoes the request's version and derives Connection from its headers).
   */
  private void refused(HttpRequest request) {
    refuse();
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
    refuse();
    HttpContent content = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
    content.setDecoderResult(DecoderResult.failure(new Rejected(reason)));
    return content;
  }

  // ---- the request line: Netty splits it leniently (any run of SP, HTAB, VT, FF, CR); we check the words.

  @Override
  protected String splitFirstWordInitialLine(byte[] line, int start, int length) {
    methodEnd = start + length;
    for (int i = start; i < methodEnd; i++) {
      if (!Rfc9112.isTchar(line[i])) {
        throw new Rejected(RejectReason.BAD_REQUEST);
      }
    }
    method = super.splitFirstWordInitialLine(line, start, length);
    return method;
  }

  @Override
  protected String splitSecondWordInitialLine(byte[] line, int start, int length) {
    targetStart = start;
    targetEnd = start + length;
    if (length == 0) {
      // "GET" alone: the request line lacks words.
      throw new Rejected(RejectReason.BAD_REQUEST);
    }
    String target = super.splitSecondWordInitialLine(line, start, length);
    if (!Rfc9112.isRequestTarget(target, method)) {
      throw new Rejected(RejectReason.BAD_REQUEST_TARGET);
    }
    return target;
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
      if (length == 0 || Rfc9112.isSpOrTab(line[start])) {
        // Whitespace between the start-line and the first field line (RFC 9112 section 2.2).
        throw new Rejected(RejectReason.BAD_REQUEST);
      }
      // Netty has just consumed this line: the byte after it starts the next line, or the empty line.
      ByteBuf in = input;
      if (in != null && in.isReadable()) {
        if (Rfc9112.isSpOrTab(in.getByte(in.readerIndex()))) {
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
    framing.reset();
    RejectReason reason = message.decoderResult().isSuccess() ? check((HttpRequest) message) : null;
    headRefusal = reason;
    if (reason != null) {
      message.setDecoderResult(DecoderResult.failure(new Rejected(reason)));
    }
    if (message.decoderResult().isFailure()) {
      refuse();
    }
    return super.isContentAlwaysEmpty(message);
  }

  /** The header section in one pass: the Host field, then the framing (allocating nothing but the iterator). */
  private RejectReason check(HttpRequest request) {
    int hosts = 0;
    boolean badHost = false;
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
        framing.contentLength();
      } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)) {
        framing.transferEncoding(header.getValue());
      }
    }
    HttpVersion version = request.protocolVersion();
    if (hosts > 1) {
      return RejectReason.DUPLICATE_HOST;
    }
    if (version == HttpVersion.HTTP_1_1 && hosts == 0) {
      return RejectReason.MISSING_HOST;
    }
    if (badHost) {
      return RejectReason.BAD_HOST;
    }
    return framing.refusal(version);
  }
}
