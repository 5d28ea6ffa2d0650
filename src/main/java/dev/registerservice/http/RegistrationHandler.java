package dev.registerservice.http;

import dev.registerservice.registration.Registrar;
import dev.registerservice.registration.RegistrationMetrics;
import dev.registerservice.registration.UnexpectedFailures;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;

/**
 * Registration's routes: {@code POST /user/register} (each one a {@link RegistrationPost}: body, validation,
 * the {@link Registrar}, the answer from {@link RegistrationAnswers}), {@code GET /user/registered}, the
 * confirmation page, and {@code /favicon.ico} (204, so that browsers log no error for it). Form posts get HTML
 * (the form again with messages, or a 303 to the confirmation page); JSON posts get JSON.
 *
 * <p>A repeat of a request is answered as the first one was: form posts carry a one-time submission token
 * (field {@code submission}), JSON posts may carry an {@code Idempotency-Key} header
 * ({@link dev.registerservice.registration.SubmissionToken}); the database binds each token to the user it
 * created and to a fingerprint of the request. A post a browser marks as cross-site is refused with 403
 * ({@link CrossSite}).
 */
public final class RegistrationHandler {
  public static final String REGISTERED_ROUTE = "/user/registered";
  private static final CharSequence TEXT_HTML = HttpHeaders.createOptimized("text/html; charset=utf-8");
  private static final CharSequence FAVICON_CACHE = HttpHeaders.createOptimized("max-age=86400");

  private final RegistrationPost.Shared shared;

  /** @param responses responses in progress, which graceful shutdown waits for */
  public RegistrationHandler(Registrar registrar, RegistrationMetrics metrics, ResponseTracker responses,
      int maxBodyBytes, AccessLog accessLog) {
    this.shared = new RegistrationPost.Shared(registrar, metrics, responses, maxBodyBytes, accessLog,
        new UnexpectedFailures(Duration.ofSeconds(10)));
  }

  /**
   * {@code GET}/{@code HEAD /user/registered?name=...}: where a successful form post is redirected; greets the
   * person by the username in the query (only if it is a valid username, so nothing else is ever echoed).
   */
  public void registered(HttpServerRequest request) {
    Buffer page = RegistrationPages.registered(request.getParam("name"));
    HttpServerResponse response = request.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, TEXT_HTML)
        .putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(page.length()));
    PageHeaders.applyPrivate(response.headers());
    if (request.method() == HttpMethod.HEAD) {
      response.end();
    } else {
      response.end(page);
    }
  }

  /** {@code GET}/{@code HEAD /favicon.ico}: no icon, and no 404 for the browser to log on every page. */
  public void favicon(HttpServerRequest request) {
    request.response().setStatusCode(204).putHeader(HttpHeaders.CACHE_CONTROL, FAVICON_CACHE).end();
  }

  /** {@code POST /user/register}. */
  public void register(HttpServerRequest request) {
    new RegistrationPost(shared, request).start();
  }
}
