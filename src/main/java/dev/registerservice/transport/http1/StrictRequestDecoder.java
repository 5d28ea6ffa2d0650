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
import dev.registerservice.internal.VertxRequestDecoder;
import io.vertx.core.http.HttpServerOptions;
import java.util.List;

/**
 * Vert.x's request decoder held to RFC 9112's grammar where Netty is lenient. Netty parses; this class checks
 * the raw bytes Netty hands to its protected hooks (the three words of the request line, each field name, with
 * the grammars of {@link Rfc9112}), the header section once it is parsed (the Host field here, the framing by
 * {@link FramingPolicy}, both before Netty reconciles the framing headers), and the raw bytes of every chunked
 * body ({@link ChunkedBody}), which Netty parses leniently and privately. A rejected request is marked as
 * failed to decode with a {@link Rejection} as its cause: Vert.x then runs the invalid-request handler (the
 * status the reason carries, and close); the transport's connection tracker reads the failure from the decoded
 * message, counts it by its {@link RejectReason#of reason} and closes lingering; and nothing after the rejection
 * on this connection is decoded ({@link #reject()}), so bytes smuggled behind it are never served. Each check
 * is a byte loop over bytes Netty already touched: no regex, no allocation.
 */
public final class StrictRequestDecoder extends VertxRequestDecoder {

  /** Why one of these checks rejected a request: the cause of its failed decoder result. */
  static final class Rejection extends DecoderException {
    final RejectReason reason;

    Rejection(RejectReason reason) {
      super(reason.label());
      this.reason = reason;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  /** True once a request is rejected: nothing after it on this connection is decoded. Set by {@link #reject()} only. */
  private boolean rejected;
  /** The buffer {@code super.decode} reads, while it runs: the field-name hook peeks at the next line's first byte. */
  private ByteBuf input;
  /** True from a request's first byte until its head is decoded. */
  private boolean inHead = true;
  /** A field line ended at the end of the input: the next line's first byte is checked for obs-fold on arrival. */
  private boolean peekPending;
  /** The chunked body being checked, or null while there is none (an idle connection keeps none). */
  private ChunkedBody body;
  private final RequestLine requestLine = new RequestLine();
  /** The method Netty split, to check the target against it. */
  private String method;
  /** Why the head just parsed was rejected: Netty 4.2.13+ may throw on the same framing afterwards and replace it. */
  private RejectReason headRejection;

  public StrictRequestDecoder(HttpServerOptions options) {
    super(options);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
    // Once a request is rejected, nothing after it on this connection is decoded: it could be a smuggled request.
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
        out.add(rejectedHead(RejectReason.OBS_FOLD));
        buffer.skipBytes(buffer.readableBytes());
        return;
      }
    }
    if (body != null && body.active() && !body.scan(buffer)) {
      out.add(rejectedBody(body.failure()));
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
    if (body != null) {
      body.consumed(buffer.readerIndex() - readerBefore);
    }
    for (int i = produced; i < out.size(); i++) {
      decoded(out.get(i), buffer);
    }
  }

  /** A connection that ends mid-request after a rejection must not produce a second one. */
  @Override
  protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    if (rejected) {
      in.skipBytes(in.readableBytes());
      return;
    }
    super.decodeLast(ctx, in, out);
  }

  /** Looks at what Netty produced: starts the body check, normalises rejections, records the end of a request. */
  private void decoded(Object message, ByteBuf buffer) {
    if (message instanceof HttpRequest) {
      HttpRequest request = (HttpRequest) message;
      inHead = false;
      peekPending = false;
      // Netty's own Transfer-Encoding checks (4.2.13+: TE in HTTP/1.0, TE with Content-Length, a final coding
      // other than chunked) run after isContentAlwaysEmpty and overwrite its result: keep the reason found first.
      if (headRejection != null && !(request.decoderResult().cause() instanceof Rejection)) {
        request.setDecoderResult(DecoderResult.failure(new Rejection(headRejection)));
      }
      headRejection = null;
      boolean chunked = FramingPolicy.ofThisThread().chunkedBody();
      if (request.decoderResult().isSuccess() && !(message instanceof LastHttpContent) && chunked) {
        // The framing policy let only "Transfer-Encoding: chunked" through. Bytes of the body that came with the
        // head are checked before the request goes up, so the common case (one write) is rejected as a whole: 400.
        body = new ChunkedBody();
        body.start();
        if (!body.scan(buffer)) {
          request.setDecoderResult(DecoderResult.failure(new Rejection(body.failure())));
          buffer.skipBytes(buffer.readableBytes());
        }
      }
      if (request.decoderResult().isFailure()) {
        rejectRequest(request);
      }
    } else if (message instanceof HttpContent && ((HttpContent) message).decoderResult().isFailure()) {
      // Netty found the body malformed where the check above did not: same reason, same handling.
      HttpContent content = (HttpContent) message;
      if (!(content.decoderResult().cause() instanceof Rejection)) {
        content.setDecoderResult(DecoderResult.failure(new Rejection(RejectReason.BAD_CHUNK)));
      }
      reject();
    }
    if (message instanceof LastHttpContent) {
      inHead = true;
      body = null;
    }
  }

  /** The one place a connection turns rejected: nothing after this point is decoded or checked. */
  private void reject() {
    rejected = true;
    body = null;
  }

  /**
   * Every rejection closes the connection, says so, and answers with an HTTP/1.1 status line whatever version
   * the request claimed (Vert.x echoes the request's version and derives Connection from its headers).
   */
  private void rejectRequest(HttpRequest request) {
    reject();
    request.setProtocolVersion(HttpVersion.HTTP_1_1);
    request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
  }

  private HttpMessage rejectedHead(RejectReason reason) {
    HttpRequest request = (HttpRequest) createInvalidMessage();
    request.setDecoderResult(DecoderResult.failure(new Rejection(reason)));
    rejectRequest(request);
    return request;
  }

  private HttpContent rejectedBody(RejectReason reason) {
    reject();
    HttpContent content = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
    content.setDecoderResult(DecoderResult.failure(new Rejection(reason)));
    return content;
  }

  // ---- the request line: Netty splits it leniently; RequestLine checks the words and the separators.

  @Override
  protected String splitFirstWordInitialLine(byte[] line, int start, int length) {
    rejectIf(requestLine.method(line, start, length));
    method = super.splitFirstWordInitialLine(line, start, length);
    return method;
  }

  @Override
  protected String splitSecondWordInitialLine(byte[] line, int start, int length) {
    rejectIf(requestLine.targetAt(start, length));
    String target = super.splitSecondWordInitialLine(line, start, length);
    rejectIf(RequestLine.target(target, method));
    return target;
  }

  @Override
  protected String splitThirdWordInitialLine(byte[] line, int start, int length) {
    rejectIf(requestLine.version(line, start, length));
    return RequestLine.aboveHttp11(line, start) ? "HTTP/1.1" : super.splitThirdWordInitialLine(line, start, length);
  }

  /** Netty's hooks fail a request by throwing: Netty then marks it failed to decode with this cause. */
  private static void rejectIf(RejectReason reason) {
    if (reason != null) {
      throw new Rejection(reason);
    }
  }

  // ---- field lines: Netty unfolds obs-fold (a line starting with SP or HTAB) into the previous value.

  @Override
  protected AsciiString splitHeaderName(byte[] line, int start, int length) {
    if (inHead) {
      // Whitespace between the start-line and the first field line (RFC 9112 section 2.2).
      rejectIf(length == 0 || Rfc9112.isSpOrTab(line[start]) ? RejectReason.BAD_REQUEST : null);
      // Netty has just consumed this line: the byte after it starts the next line, or the empty line.
      ByteBuf in = input;
      if (in != null && in.isReadable()) {
        rejectIf(Rfc9112.isSpOrTab(in.getByte(in.readerIndex())) ? RejectReason.OBS_FOLD : null);
      } else {
        peekPending = true;
      }
    }
    return super.splitHeaderName(line, start, length);
  }

  /** Called once the header section is parsed, before Netty reconciles the framing headers. */
  @Override
  protected boolean isContentAlwaysEmpty(HttpMessage message) {
    FramingPolicy framing = FramingPolicy.ofThisThread();
    framing.reset();
    RejectReason reason = message.decoderResult().isSuccess()
        ? HeaderSection.rejection((HttpRequest) message, framing) : null;
    headRejection = reason;
    if (reason != null) {
      message.setDecoderResult(DecoderResult.failure(new Rejection(reason)));
    }
    if (message.decoderResult().isFailure()) {
      reject();
    }
    return super.isContentAlwaysEmpty(message);
  }
}
