package dev.registerservice.http;

import dev.registerservice.internal.ConnectionHandlers;
import dev.registerservice.registration.HashingPool;
import dev.registerservice.registration.Outcome;
import dev.registerservice.registration.Registrar;
import dev.registerservice.registration.RegistrationMetrics;
import dev.registerservice.registration.RegistrationRules;
import dev.registerservice.registration.UnexpectedFailures;
import dev.registerservice.storage.UserStore;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code POST /user/register}: reads the body up to the configured limit on the event loop, validates it,
 * and hands the rest to the {@link Registrar} (hashing on its own pool, then the database), answering when
 * the row is committed. Form posts get HTML (the form again with messages, or a 303 to the confirmation
 * page); JSON posts get JSON. Also serves {@code GET /user/registered}, the confirmation page, and
 * {@code /favicon.ico} (204, so that browsers log no error for it).
 *
 * <p>A repeat of a request is answered as the first one was: form posts carry a one-time submission token
 * (field {@code submission}), JSON posts may carry an {@code Idempotency-Key} header; the database binds each
 * token to the user it created ({@link UserStore}). A post a browser marks as cross-site is refused with 403
 * ({@link CrossSite}).
 */
public final class RegistrationHandler {
  public static final String REGISTERED_ROUTE = "/user/registered";
  private static final String FORM = "application/x-www-form-urlencoded";
  private static final String JSON = "application/json";
  private static final CharSequence TEXT_HTML = HttpHeaders.createOptimized("text/html; charset=utf-8");
  private static final CharSequence TEXT_PLAIN = HttpHeaders.createOptimized("text/plain; charset=utf-8");
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence FAVICON_CACHE = HttpHeaders.createOptimized("max-age=86400");
  private static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  /** A Structured Fields string's characters (printable ASCII but {@code "} and {@code \}), at most 255. */
  private static final Pattern KEY = Pattern.compile("[\\x20-\\x21\\x23-\\x5B\\x5D-\\x7E]{1,255}");
  private static final String KEY_ERROR = "must be a string of 1 to 255 printable ASCII characters";
  private static final String KEY_REUSED = "was already used for a request with another username";
  private static final String TOKEN_REUSED = "This form was already used to create another account. Check the"
      + " fields and register again.";
  private static final CharSequence RETRY_OVERLOADED = HttpHeaders.createOptimized("1");
  private static final CharSequence RETRY_UNAVAILABLE = HttpHeaders.createOptimized("5");
  private static final Buffer TOO_LARGE = Buffer.buffer("Payload Too Large\n");
  private static final Buffer UNSUPPORTED = Buffer.buffer(
      "Unsupported Media Type: send application/x-www-form-urlencoded or application/json in UTF-8\n");
  private static final Buffer OVERLOADED = Buffer.buffer("Service Unavailable: too many registrations at once\n");
  private static final Buffer UNAVAILABLE = Buffer.buffer("Service Unavailable: the database is not available\n");
  private static final Buffer CROSS_SITE = Buffer.buffer("Forbidden: this form accepts posts from its own site only\n");
  private static final Buffer FAILED = Buffer.buffer("Internal Server Error\n");
  private static final String BODY_ERROR = "must be a form (application/x-www-form-urlencoded) or a JSON object";
  private static final int MAX_FORM_FIELDS = 32;

  private final Registrar registrar;
  private final RegistrationMetrics metrics;
  private final ResponseTracker responses;
  private final int maxBodyBytes;
  private final AccessLog accessLog;
  private final UnexpectedFailures failures = new UnexpectedFailures(Duration.ofSeconds(10));

  /** @param responses responses in progress, which graceful shutdown waits for */
  public RegistrationHandler(Registrar registrar, RegistrationMetrics metrics, ResponseTracker responses,
      int maxBodyBytes, AccessLog accessLog) {
    this.registrar = registrar;
    this.metrics = metrics;
    this.responses = responses;
    this.maxBodyBytes = maxBodyBytes;
    this.accessLog = accessLog;
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
    new Exchange(request).start();
  }

  /** One POST, on its connection's event loop from start to answer. */
  private final class Exchange {
    private final HttpServerRequest request;
    private final long startNanos = accessLog.start();
    private Buffer body;
    private boolean json;
    private String token;
    private boolean answered;

    Exchange(HttpServerRequest request) {
      this.request = request;
    }

    void start() {
      responses.started();
      if (CrossSite.refused(request)) {
        plain(403, Outcome.CROSS_SITE, CROSS_SITE, null);
        return;
      }
      String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
      String mediaType = type == null ? "" : mediaType(type);
      if (!(mediaType.equals(FORM) || mediaType.equals(JSON)) || !utf8(type)) {
        plain(415, Outcome.UNSUPPORTED_MEDIA_TYPE, UNSUPPORTED, null);
        return;
      }
      json = mediaType.equals(JSON);
      String key = request.getHeader(IDEMPOTENCY_KEY);
      if (key != null) {
        // RFC 8941 string: quoted; a bare token is accepted too, as most clients send one.
        String unquoted = key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"")
            ? key.substring(1, key.length() - 1) : key;
        if (!KEY.matcher(unquoted).matches()) {
          invalid(Map.of(IDEMPOTENCY_KEY, KEY_ERROR), Map.of());
          return;
        }
        token = "key:" + unquoted;
      }
      String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
      // The decoder has validated Content-Length; a value beyond long would have been refused there.
      if (length != null && Long.parseLong(length) > maxBodyBytes) {
        plain(413, Outcome.TOO_LARGE, TOO_LARGE, null);
        return;
      }
      body = Buffer.buffer(length == null ? 1024 : (int) Long.parseLong(length));
      request.handler(this::received);
      request.endHandler(v -> complete());
      request.exceptionHandler(err -> gone());
      if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
        request.response().writeContinue();
      }
    }

    private void received(Buffer chunk) {
      if (answered) {
        return;
      }
      if (body.length() + chunk.length() > maxBodyBytes) {
        plain(413, Outcome.TOO_LARGE, TOO_LARGE, null);
        return;
      }
      body.appendBuffer(chunk);
    }

    /** The connection closed before the body was complete: nobody to answer. */
    private void gone() {
      if (!answered) {
        answered = true;
        responses.ended();
      }
    }

    private void complete() {
      if (answered) {
        return;
      }
      Map<String, Object> fields = json ? jsonFields() : formFields();
      if (fields == null) {
        invalid(Map.of("body", BODY_ERROR), Map.of());
        return;
      }
      if (!json && fields.get("submission") instanceof String submission
          && RegistrationPages.TOKEN.matcher(submission).matches()) {
        token = "form:" + submission;
      }
      RegistrationRules.Result result = RegistrationRules.validate(fields);
      if (!result.valid()) {
        invalid(result.errors(), fields);
        return;
      }
      registrar.register(Vertx.currentContext(), result.registration(), token).onComplete(done -> {
        Throwable cause = done.cause();
        if (done.succeeded()) {
          created(done.result());
        } else if (cause instanceof UserStore.Duplicate duplicate) {
          boolean email = duplicate.field().equals("email");
          errors(409, Outcome.DUPLICATE, Map.of(duplicate.field(),
              email ? RegistrationRules.EMAIL_TAKEN : RegistrationRules.USERNAME_TAKEN), fields);
        } else if (cause instanceof UserStore.TokenReused) {
          if (json) {
            errors(422, Outcome.KEY_REUSED, Map.of(IDEMPOTENCY_KEY, KEY_REUSED), fields);
          } else {
            // The form's token is spent: show the form again with a fresh one.
            token = null;
            errors(409, Outcome.KEY_REUSED, Map.of("username", TOKEN_REUSED), fields);
          }
        } else if (cause instanceof HashingPool.Overloaded) {
          plain(503, Outcome.OVERLOADED, OVERLOADED, RETRY_OVERLOADED);
        } else if (cause instanceof UserStore.Unavailable) {
          plain(503, Outcome.UNAVAILABLE, UNAVAILABLE, RETRY_UNAVAILABLE);
        } else {
          failures.report("POST /user/register", cause);
          plain(500, Outcome.FAILED, FAILED, null);
        }
      });
    }

    private Map<String, Object> jsonFields() {
      try {
        return new JsonObject(body).getMap();
      } catch (RuntimeException e) {
        return null;
      }
    }

    private Map<String, Object> formFields() {
      Map<String, List<String>> params;
      try {
        params = new QueryStringDecoder(body.toString(StandardCharsets.UTF_8), StandardCharsets.UTF_8, false,
            MAX_FORM_FIELDS).parameters();
      } catch (IllegalArgumentException e) {
        return null;
      }
      Map<String, Object> fields = new HashMap<>();
      params.forEach((name, values) -> fields.put(name, values.get(0)));
      return fields;
    }

    private void invalid(Map<String, String> errors, Map<String, ?> values) {
      errors(400, Outcome.INVALID, errors, values);
    }

    /** The same answer for the request that created the user and for every repeat of it. */
    private void created(UserStore.Stored user) {
      HttpServerResponse response = request.response();
      Outcome outcome = user.replayed() ? Outcome.REPLAYED : Outcome.CREATED;
      if (json) {
        response.setStatusCode(201).putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
        answer(outcome, Buffer.buffer(new JsonObject().put("id", user.id()).encode()));
      } else {
        // A username has only URL-safe characters (RegistrationRules.USERNAME): no encoding needed.
        response.setStatusCode(303).putHeader(HttpHeaders.LOCATION, REGISTERED_ROUTE + "?name=" + user.username());
        answer(outcome, Buffer.buffer());
      }
    }

    private void errors(int status, Outcome outcome, Map<String, String> errors, Map<String, ?> values) {
      HttpServerResponse response = request.response().setStatusCode(status);
      if (json) {
        response.putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
        answer(outcome, Buffer.buffer(
            new JsonObject().put("errors", new JsonObject(new LinkedHashMap<>(errors))).encode()));
      } else {
        response.putHeader(HttpHeaders.CONTENT_TYPE, TEXT_HTML);
        PageHeaders.applyPrivate(response.headers());
        answer(outcome, RegistrationPages.formWithErrors(errors, values,
            token != null && token.startsWith("form:") ? token.substring(5) : null));
      }
    }

    private void plain(int status, Outcome outcome, Buffer text, CharSequence retryAfter) {
      HttpServerResponse response = request.response().setStatusCode(status)
          .putHeader(HttpHeaders.CONTENT_TYPE, TEXT_PLAIN);
      PageHeaders.apply(response.headers());
      if (retryAfter != null) {
        response.putHeader(HttpHeaders.RETRY_AFTER, retryAfter);
      }
      answer(outcome, text);
    }

    private void answer(Outcome outcome, Buffer content) {
      if (answered) {
        return;
      }
      answered = true;
      metrics.count(outcome);
      HttpServerResponse response = request.response();
      // Answered before the body was read (413, 415): rather than read an unbounded body to keep the
      // connection, say so and close it once the answer is out.
      boolean close = !request.isEnded();
      if (close) {
        response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      }
      response.end(content).onComplete(sent -> {
        responses.ended();
        if (close) {
          ConnectionHandlers.closeLingering(request.connection());
        }
        accessLog.log(request, sent.succeeded() ? response.getStatusCode() : AccessLog.CLIENT_CLOSED,
            response.bytesWritten(), startNanos);
      });
    }
  }

  /** The media type of a Content-Type value, lower-cased, without parameters. */
  static String mediaType(String contentType) {
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  /** True unless a charset parameter names something other than UTF-8. */
  static boolean utf8(String contentType) {
    for (String parameter : contentType.split(";")) {
      String[] pair = parameter.trim().split("=", 2);
      if (pair.length == 2 && pair[0].trim().equalsIgnoreCase("charset")) {
        String charset = pair[1].trim().replace("\"", "");
        return charset.equalsIgnoreCase("utf-8") || charset.equalsIgnoreCase("utf8");
      }
    }
    return true;
  }
}
