package dev.registerservice.http;

import dev.registerservice.pages.Pages;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * The security headers of every HTML page: no MIME sniffing, a Content-Security-Policy that allows only the
 * pages' own inline style and script (by hash) and forbids framing, no Referer to other sites. Pages that echo
 * what a person typed also get {@code Cache-Control: no-store}. Values are built once, as Vert.x's optimized
 * header strings, so the GET page's cost is three more header lines, nothing computed.
 */
public final class PageHeaders {
  private static final CharSequence NOSNIFF_NAME = HttpHeaders.createOptimized("X-Content-Type-Options");
  private static final CharSequence NOSNIFF = HttpHeaders.createOptimized("nosniff");
  private static final CharSequence CSP_NAME = HttpHeaders.createOptimized("Content-Security-Policy");
  private static final CharSequence CSP = HttpHeaders.createOptimized(Pages.CONTENT_SECURITY_POLICY);
  private static final CharSequence REFERRER_NAME = HttpHeaders.createOptimized("Referrer-Policy");
  private static final CharSequence REFERRER = HttpHeaders.createOptimized("strict-origin-when-cross-origin");
  private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");

  private PageHeaders() {
  }

  /** {@code handler} with the page headers added to every response first. */
  public static Handler<HttpServerRequest> around(Handler<HttpServerRequest> handler) {
    return request -> {
      apply(request.response().headers());
      handler.handle(request);
    };
  }

  static void apply(MultiMap headers) {
    headers.add(NOSNIFF_NAME, NOSNIFF).add(CSP_NAME, CSP).add(REFERRER_NAME, REFERRER);
  }

  /** For pages that echo input: also never stored by a browser or a shared cache. */
  static void applyPrivate(MultiMap headers) {
    apply(headers);
    headers.add(HttpHeaders.CACHE_CONTROL, NO_STORE);
  }
}
