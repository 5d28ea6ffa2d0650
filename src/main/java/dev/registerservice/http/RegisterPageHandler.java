package dev.registerservice.http;

import dev.registerservice.metrics.ResponseMetrics;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;

/**
 * {@code GET} and {@code HEAD /user/register}: streams the pre-rendered page chunk by chunk, honouring
 * backpressure. A response the client abandons is counted by the transport, as on every route
 * ({@link RouteTable}); here it only stops the stream and releases its queued bytes.
 */
public final class RegisterPageHandler {
  public static final String ROUTE = "/user/register";
  private static final CharSequence TEXT_HTML = HttpHeaders.createOptimized("text/html; charset=utf-8");

  private final RegisterPage page;
  private final CharSequence contentLength;
  private final ResponseTracker inFlight;
  private final ResponseMetrics metrics;
  private final AccessLog accessLog;
  private final int writeQueueBytes;

  /**
   * @param inFlight responses in progress, which graceful shutdown waits for
   * @param writeQueueBytes how many bytes one response may have queued for writing before it pauses
   */
  public RegisterPageHandler(RegisterPage page, ResponseTracker inFlight, ResponseMetrics metrics, AccessLog accessLog,
      int writeQueueBytes) {
    this.page = page;
    this.contentLength = HttpHeaders.createOptimized(String.valueOf(page.length()));
    this.inFlight = inFlight;
    this.metrics = metrics;
    this.accessLog = accessLog;
    this.writeQueueBytes = writeQueueBytes;
  }

  public void handle(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    MultiMap headers = response.headers();
    headers.set(HttpHeaders.CONTENT_TYPE, TEXT_HTML);
    if (request.version() == HttpVersion.HTTP_1_0) {
      // HTTP/1.0 has no chunked encoding.
      headers.set(HttpHeaders.CONTENT_LENGTH, contentLength);
    } else {
      response.setChunked(true);
    }
    if (request.method() == HttpMethod.HEAD) {
      if (request.version() != HttpVersion.HTTP_1_0) {
        // Vert.x drops Transfer-Encoding from HEAD responses after we set it; put it back as the headers go
        // out, so HEAD shows what GET sends. The encoder still writes no body for HEAD.
        response.headersEndHandler(v -> headers.set(HttpHeaders.TRANSFER_ENCODING, HttpHeaders.CHUNKED));
      }
      response.end();
      return;
    }
    new Stream(request, response).pump();
  }

  /**
   * One response in progress. Lives on the connection's event loop; write Futures complete there, in write
   * order. Backpressure counts our own bytes: writing stops while the bytes handed to {@code write()} and not
   * yet taken by the kernel reach the write-queue size, and resumes from the completions once half of them
   * are gone. (Vert.x's {@code writeQueueFull()} alone lets its own message queue fill on top of Netty's, about
   * twice the configured size.)
   */
  private final class Stream implements Handler<AsyncResult<Void>> {
    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private final Buffer[] chunks = page.chunks();
    private final long startNanos;
    private int written;
    private int completed;
    private long sentBytes;
    private long queuedBytes;
    private boolean done;
    private boolean paused;

    Stream(HttpServerRequest request, HttpServerResponse response) {
      this.request = request;
      this.response = response;
      this.startNanos = accessLog.start();
      inFlight.started();
    }

    void pump() {
      paused = false;
      int last = chunks.length - 1;
      while (written <= last && !done) {
        if (queuedBytes >= writeQueueBytes) {
          paused = true;
          return;
        }
        Buffer chunk = chunks[written];
        int size = chunk.length();
        Future<Void> write = written == last ? response.end(chunk) : response.write(chunk);
        written++;
        queuedBytes += size;
        metrics.queued(size);
        write.onComplete(this);
      }
    }

    /** A write or end Future completed. */
    @Override
    public void handle(AsyncResult<Void> result) {
      if (done) {
        return;
      }
      if (result.failed()) {
        failed();
        return;
      }
      int size = chunks[completed].length();
      completed++;
      sentBytes += size;
      queuedBytes -= size;
      metrics.queued(-size);
      if (completed < chunks.length) {
        if (paused && queuedBytes <= writeQueueBytes / 2) {
          pump();
        }
        return;
      }
      done = true;
      inFlight.ended();
      accessLog.log(request, 200, sentBytes, startNanos);
    }

    private void failed() {
      if (done) {
        return;
      }
      done = true;
      inFlight.ended();
      metrics.queued(-queuedBytes);
      queuedBytes = 0;
      accessLog.log(request, AccessLog.CLIENT_CLOSED, sentBytes, startNanos);
    }
  }
}
