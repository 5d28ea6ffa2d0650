package dev.registerservice.http;

import dev.registerservice.transport.AbortRecorder;
import dev.registerservice.transport.ConnectionHandlers;
import dev.registerservice.metrics.AbortMetrics;
import dev.registerservice.metrics.RequestMetrics;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The traffic port's routes, exact paths only, in one place. Answers what HTTP asks for when no route
 * fits: 501 for a method the server does not recognise (RFC 9110 section 15.6.2), 404 for an unknown path,
 * 405 with {@code Allow} built from this table for a known path with a method it does not serve, and 200 with
 * {@code Allow} listing every method the table serves for {@code OPTIONS *}.
 *
 * <p>A plain map rather than vertx-web's Router: the traffic port has a handful of fixed paths, and this
 * keeps the per-request cost at one hash lookup with no routing context. Every response its handler ends is
 * recorded in {@link RequestMetrics} by method, route and status; every response that does not reach its
 * client is counted once in {@link AbortMetrics} by route and method, by the connection's transport
 * ({@link ConnectionHandlers#answering}), whichever handler answered: handlers need do nothing for it.
 */
public final class RouteTable implements Handler<HttpServerRequest> {
  /** The methods of RFC 9110 and RFC 5789; anything else is not recognised. */
  public static final List<HttpMethod> RECOGNISED = List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
      HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.CONNECT, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PATCH);
  private static final Map<HttpMethod, Integer> METHOD_INDEX = indexOf(RECOGNISED);
  private static final CharSequence TEXT_PLAIN = HttpHeaders.createOptimized("text/plain; charset=utf-8");
  private static final Buffer NOT_FOUND = text("Not Found\n");
  private static final Buffer METHOD_NOT_ALLOWED = text("Method Not Allowed\n");
  private static final Buffer NOT_IMPLEMENTED = text("Not Implemented\n");

  private final Map<String, Route> routes;
  private final RequestMetrics requests;
  /** Aborts of everything the table answers itself: unknown paths and methods, 405, {@code OPTIONS *}. */
  private final AbortRecorder unmatchedAborts;
  /** Every method some route serves: the answer to {@code OPTIONS *}, which asks about the server as a whole. */
  private final CharSequence serverAllow;

  /**
   * {@code index}: the route's place in the {@code route} tag values of {@link RequestMetrics}; {@code aborts}:
   * where each served method's aborts are counted.
   */
  private record Route(int index, Map<HttpMethod, Handler<HttpServerRequest>> handlers,
      Map<HttpMethod, AbortRecorder> aborts, CharSequence allow) {
  }

  private RouteTable(Map<String, Map<HttpMethod, Handler<HttpServerRequest>>> table, RequestMetrics requests,
      AbortMetrics aborts) {
    Map<String, Route> routes = new HashMap<>();
    List<String> paths = new ArrayList<>(table.keySet());
    int row = 0;
    for (Map.Entry<String, Map<HttpMethod, Handler<HttpServerRequest>>> entry : table.entrySet()) {
      Map<HttpMethod, AbortRecorder> recorders = new HashMap<>();
      for (HttpMethod method : entry.getValue().keySet()) {
        recorders.put(method, aborts.recorder(row++));
      }
      routes.put(entry.getKey(), new Route(paths.indexOf(entry.getKey()), Map.copyOf(entry.getValue()),
          Map.copyOf(recorders), HttpHeaders.createOptimized(
              entry.getValue().keySet().stream().map(HttpMethod::name).collect(Collectors.joining(", ")))));
    }
    this.routes = Map.copyOf(routes);
    this.unmatchedAborts = aborts.recorder(row);
    this.serverAllow = HttpHeaders.createOptimized(table.values().stream().flatMap(h -> h.keySet().stream())
        .distinct().map(HttpMethod::name).collect(Collectors.joining(", ")));
    this.requests = requests;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void handle(HttpServerRequest request) {
    HttpMethod method = request.method();
    Integer methodIndex = METHOD_INDEX.get(method);
    Route route = routes.get(request.path());
    measure(request.response(), route == null ? routes.size() : route.index(),
        methodIndex == null ? RECOGNISED.size() : methodIndex);
    AbortRecorder aborts = route == null ? null : route.aborts().get(method);
    ConnectionHandlers.answering(request.connection(), aborts == null ? unmatchedAborts : aborts);
    if (methodIndex == null) {
      reply(request, 501, NOT_IMPLEMENTED);
      return;
    }
    if (route == null) {
      if (method == HttpMethod.OPTIONS && "*".equals(request.uri())) {
        // RFC 9110 section 9.3.7: OPTIONS * is about the server in general; the decoder allows "*" for OPTIONS only.
        request.response().putHeader(HttpHeaders.ALLOW, serverAllow).end();
        return;
      }
      reply(request, 404, NOT_FOUND);
      return;
    }
    Handler<HttpServerRequest> handler = route.handlers().get(method);
    if (handler == null) {
      request.response().putHeader(HttpHeaders.ALLOW, route.allow());
      reply(request, 405, METHOD_NOT_ALLOWED);
      return;
    }
    handler.handle(request);
  }

  private void measure(HttpServerResponse response, int route, int method) {
    long start = System.nanoTime();
    response.bodyEndHandler(v -> requests.completed(route, method, response.getStatusCode(), start));
  }

  private static void reply(HttpServerRequest request, int status, Buffer body) {
    request.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, TEXT_PLAIN)
        .end(request.method() == HttpMethod.HEAD ? Buffer.buffer() : body);
  }

  private static Map<HttpMethod, Integer> indexOf(List<HttpMethod> methods) {
    Map<HttpMethod, Integer> index = new HashMap<>();
    methods.forEach(method -> index.put(method, index.size()));
    return Map.copyOf(index);
  }

  private static Buffer text(String body) {
    return Buffer.buffer(body.getBytes(StandardCharsets.UTF_8));
  }

  /** Collects routes; insertion order gives the order of methods in {@code Allow}. */
  public static final class Builder {
    private final Map<String, Map<HttpMethod, Handler<HttpServerRequest>>> table = new LinkedHashMap<>();

    public Builder get(String path, Handler<HttpServerRequest> handler) {
      return route(HttpMethod.GET, path, handler);
    }

    public Builder head(String path, Handler<HttpServerRequest> handler) {
      return route(HttpMethod.HEAD, path, handler);
    }

    public Builder route(HttpMethod method, String path, Handler<HttpServerRequest> handler) {
      table.computeIfAbsent(path, p -> new LinkedHashMap<>()).put(method, handler);
      return this;
    }

    /** The paths in the order of the {@code route} values of {@link RequestMetrics}. */
    public List<String> paths() {
      return List.copyOf(table.keySet());
    }

    /**
     * The (route, method) pairs the table serves, in the order it takes their recorders from
     * {@link AbortMetrics}, then one ({@link RequestMetrics#UNMATCHED}, {@link RequestMetrics#OTHER_METHOD}) for
     * every answer the table gives itself.
     */
    public List<AbortMetrics.RouteMethod> routeMethods() {
      List<AbortMetrics.RouteMethod> routeMethods = new ArrayList<>();
      table.forEach((path, handlers) -> handlers.keySet()
          .forEach(method -> routeMethods.add(new AbortMetrics.RouteMethod(path, method.name()))));
      routeMethods.add(new AbortMetrics.RouteMethod(RequestMetrics.UNMATCHED, RequestMetrics.OTHER_METHOD));
      return routeMethods;
    }

    /**
     * The table, recording every response its handler ends in {@code requests} and every abort in
     * {@code aborts}, which must have been made from {@link #paths()} and {@link #routeMethods()}.
     */
    public RouteTable build(RequestMetrics requests, AbortMetrics aborts) {
      return new RouteTable(table, requests, aborts);
    }
  }
}
