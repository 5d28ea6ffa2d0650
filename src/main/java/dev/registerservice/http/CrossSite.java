package dev.registerservice.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Whether a POST comes from a page of another site, as the browser tells it. Browsers send
 * {@code Sec-Fetch-Site} on every request (Chromium since 76, Firefox since 90, Safari since 16.4): a post is
 * refused unless it says {@code same-origin}, {@code same-site} or {@code none} (typed by the person). Older
 * browsers send only {@code Origin} on a POST: then it must name this host (same origin; sites cannot be
 * told apart without the public suffix list), and {@code Origin: null} (sandboxed frames, some redirects) is
 * refused. A request with neither header is not from a browser page (curl, API clients) and is accepted:
 * such a client cannot be made to post by another site.
 */
final class CrossSite {
  private static final String SEC_FETCH_SITE = "Sec-Fetch-Site";

  private CrossSite() {
  }

  static boolean refused(HttpServerRequest request) {
    String site = request.getHeader(SEC_FETCH_SITE);
    if (site != null) {
      return !(site.equals("same-origin") || site.equals("same-site") || site.equals("none"));
    }
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    if (origin == null) {
      return false;
    }
    int scheme = origin.indexOf("://");
    String host = request.getHeader(HttpHeaders.HOST);
    return scheme < 0 || host == null || !origin.substring(scheme + 3).equalsIgnoreCase(host);
  }
}
