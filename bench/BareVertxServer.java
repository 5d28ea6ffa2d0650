import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The ceiling for this stack in bench/run.sh: bare Vert.x core on native epoll, no router, no metrics,
 * one verticle per event loop, answering every request with the page from a file as pre-built direct
 * 4 KiB chunk slices written inside the request handler (one flush per read batch).
 *
 * <p>Run (Java 17 single-file source launch, the service's fat jar supplies Vert.x and Netty epoll):
 * {@code java -cp target/register-service.jar bench/BareVertxServer.java <port> <pagefile> [eventLoops] [chunkBytes]}
 */
public class BareVertxServer {
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: BareVertxServer <port> <pagefile> [eventLoops] [chunkBytes]");
      System.exit(2);
    }
    long t0 = System.nanoTime();
    int port = Integer.parseInt(args[0]);
    byte[] page = Files.readAllBytes(Path.of(args[1]));
    int loops = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
    int chunkBytes = args.length > 3 ? Integer.parseInt(args[3]) : 4096;

    // The page lives once in direct memory; each chunk is an unreleasable slice of it, so epoll writes it
    // without a heap-to-direct copy and Netty never frees the shared page.
    ByteBuf direct = Unpooled.directBuffer(page.length).writeBytes(page);
    int count = (page.length + chunkBytes - 1) / chunkBytes;
    Buffer[] chunks = new Buffer[count];
    for (int i = 0; i < count; i++) {
      int off = i * chunkBytes;
      chunks[i] = BufferInternal.buffer(Unpooled.unreleasableBuffer(direct.slice(off, Math.min(chunkBytes, page.length - off))));
    }

    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops))
        .build();
    if (!vertx.isNativeTransportEnabled()) {
      System.err.println("native epoll unavailable: " + vertx.unavailableNativeTransportCause());
      System.exit(1);
    }
    // The transport options the service uses too: no h2c, no WebSocket extension handler in the pipeline.
    HttpServerOptions options = new HttpServerOptions().setPort(port).setHost("127.0.0.1")
        .setHttp2ClearTextEnabled(false).setAcceptBacklog(4096)
        .setPerFrameWebSocketCompressionSupported(false).setPerMessageWebSocketCompressionSupported(false);
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer(options).requestHandler(req -> {
          HttpServerResponse response = req.response();
          response.setChunked(true).putHeader("content-type", "text/html; charset=utf-8");
          write(response, chunks, 0);
        }).listen();
      }
    }, new DeploymentOptions().setInstances(loops)).onSuccess(id ->
        System.out.printf("bare vert.x ready in %d ms on 127.0.0.1:%d, %d event loops, %d chunks of %d bytes%n",
            (System.nanoTime() - t0) / 1_000_000, port, loops, count, chunkBytes)
    ).onFailure(t -> {
      System.err.println("bare vert.x failed to start: " + t);
      System.exit(1);
    });
  }

  /** Writes while the queue has room, continues from the drain handler for pages larger than the queue. */
  private static void write(HttpServerResponse response, Buffer[] chunks, int from) {
    for (int i = from; i < chunks.length; i++) {
      if (response.writeQueueFull()) {
        int next = i;
        response.drainHandler(v -> write(response, chunks, next));
        return;
      }
      response.write(chunks[i]);
    }
    response.end();
  }
}
