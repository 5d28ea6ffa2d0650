package dev.registerservice.http;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The traffic port's routes, exact paths only, in one place. Answers what HTTP asks for when no route
 * fits: 501 for a method the server does not recognise (RFC 9110 section 15.6.2), 404 for an unknown path,
 * 405 with {@code Allow} built from this table for a known path with a method it does not serve.
 *
 * <p>A plain map rather than vertx-web's Router: the traffic port has a handful of fixed paths, and this
 * keeps the per-request cost at one hash lookup with no routing context.
 */
public final class RouteTable implements Handler<HttpServerRequest> {
  /** The methods of RFC 9110 and RFC 5789; anything else is not recognised. */
  private static final Set<HttpMethod> RECOGNISED = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
      HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.CONNECT, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PATCH);
  private static final CharSequence TEXT_PLAIN = HttpHeaders.createOptimized("text/plain; charset=utf-8");
  private static final Buffer NOT_FOUND = text("Not Found\n");
  private static final Buffer METHOD_NOT_ALLOWED = text("Method Not Allowed\n");
  private static final Buffer NOT_IMPLEMENTED = text("Not Implemented\n");

  private final Map<String, Route> routes;

  private record Route(Map<HttpMethod, Handler<HttpServerRequest>> handlers, CharSequence allow) {
  }

  private RouteTable(Map<String, Map<HttpMethod, Handler<HttpServerRequest>>> table) {
    Map<String, Route> routes = new HashMap<>();
    table.forEach((path, handlers) -> routes.put(path, new Route(Map.copyOf(handlers), HttpHeaders.createOptimized(
        handlers.keySet().stream().map(HttpMethod::name).collect(Collectors.joining(", "))))));
    this.routes = Map.copyOf(routes);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The route templates, bounded and known at start: the values of the {@code route} tag. */
  public List<String> paths() {
    return List.copyOf(routes.keySet());
  }

  @Override
  public void handle(HttpServerRequest request) {
    HttpMethod method = request.method();
    if (!RECOGNISED.contains(method)) {
      reply(request, 501, NOT_IMPLEMENTED);
      return;
    }
    Route route = routes.get(request.path());
    if (route == null) {
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

  private static void reply(HttpServerRequest request, int status, Buffer body) {
    request.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, TEXT_PLAIN)
        .end(request.method() == HttpMethod.HEAD ? Buffer.buffer() : body);
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

    public RouteTable build() {
      return new RouteTable(table);
    }
  }
}
