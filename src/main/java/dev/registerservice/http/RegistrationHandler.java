package dev.registerservice.http;

import dev.registerservice.internal.ConnectionHandlers;
import dev.registerservice.registration.HashingPool;
import dev.registerservice.registration.Outcome;
import dev.registerservice.registration.Registrar;
import dev.registerservice.registration.RegistrationMetrics;
import dev.registerservice.registration.RegistrationRules;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code POST /user/register}: reads the body up to the configured limit on the event loop, validates it,
 * and hands the rest to the {@link Registrar} (hashing on its own pool, then the database), answering when
 * the row is committed. Form posts get HTML (the form again with messages, or a 303 to the confirmation
 * page); JSON posts get JSON. Also serves {@code GET /user/registered}, the confirmation page.
 */
public final class RegistrationHandler {
  public static final String REGISTERED_ROUTE = "/user/registered";
  private static final String FORM = "application/x-www-form-urlencoded";
  private static final String JSON = "application/json";
  private static final CharSequence TEXT_HTML = HttpHeaders.createOptimized("text/html; charset=utf-8");
  private static final CharSequence TEXT_PLAIN = HttpHeaders.createOptimized("text/plain; charset=utf-8");
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence REGISTERED_LENGTH =
      HttpHeaders.createOptimized(String.valueOf(RegistrationPages.REGISTERED.length()));
  private static final CharSequence RETRY_OVERLOADED = HttpHeaders.createOptimized("1");
  private static final CharSequence RETRY_UNAVAILABLE = HttpHeaders.createOptimized("5");
  private static final Buffer TOO_LARGE = Buffer.buffer("Payload Too Large\n");
  private static final Buffer UNSUPPORTED = Buffer.buffer(
      "Unsupported Media Type: send application/x-www-form-urlencoded or application/json in UTF-8\n");
  private static final Buffer OVERLOADED = Buffer.buffer("Service Unavailable: too many registrations at once\n");
  private static final Buffer UNAVAILABLE = Buffer.buffer("Service Unavailable: the database is not available\n");
  private static final String BODY_ERROR = "must be a form (application/x-www-form-urlencoded) or a JSON object";
  private static final int MAX_FORM_FIELDS = 32;

  private final Registrar registrar;
  private final RegistrationMetrics metrics;
  private final ResponseTracker responses;
  private final int maxBodyBytes;
  private final AccessLog accessLog;

  /** @param responses responses in progress, which graceful shutdown waits for */
  public RegistrationHandler(Registrar registrar, RegistrationMetrics metrics, ResponseTracker responses,
      int maxBodyBytes, AccessLog accessLog) {
    this.registrar = registrar;
    this.metrics = metrics;
    this.responses = responses;
    this.maxBodyBytes = maxBodyBytes;
    this.accessLog = accessLog;
  }

  /** {@code GET}/{@code HEAD /user/registered}: where a successful form post is redirected. */
  public void registered(HttpServerRequest request) {
    HttpServerResponse response = request.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, TEXT_HTML)
        .putHeader(HttpHeaders.CONTENT_LENGTH, REGISTERED_LENGTH);
    if (request.method() == HttpMethod.HEAD) {
      response.end();
    } else {
      response.end(RegistrationPages.REGISTERED);
    }
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
    private boolean answered;

    Exchange(HttpServerRequest request) {
      this.request = request;
    }

    void start() {
      responses.started();
      String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
      String mediaType = type == null ? "" : mediaType(type);
      if (!(mediaType.equals(FORM) || mediaType.equals(JSON)) || !utf8(type)) {
        plain(415, Outcome.UNSUPPORTED_MEDIA_TYPE, UNSUPPORTED, null);
        return;
      }
      json = mediaType.equals(JSON);
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
      RegistrationRules.Result result = RegistrationRules.validate(fields);
      if (!result.valid()) {
        invalid(result.errors(), fields);
        return;
      }
      registrar.register(Vertx.currentContext(), result.registration()).onComplete(done -> {
        if (done.succeeded()) {
          created(done.result());
        } else if (done.cause() instanceof UserStore.Duplicate) {
          String field = ((UserStore.Duplicate) done.cause()).field();
          errors(409, Outcome.DUPLICATE, Map.of(field, "is already registered"), fields);
        } else if (done.cause() instanceof HashingPool.Overloaded) {
          plain(503, Outcome.OVERLOADED, OVERLOADED, RETRY_OVERLOADED);
        } else {
          plain(503, Outcome.UNAVAILABLE, UNAVAILABLE, RETRY_UNAVAILABLE);
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

    private void created(long id) {
      HttpServerResponse response = request.response();
      if (json) {
        response.setStatusCode(201).putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
        answer(Outcome.CREATED, Buffer.buffer(new JsonObject().put("id", id).encode()));
      } else {
        response.setStatusCode(303).putHeader(HttpHeaders.LOCATION, REGISTERED_ROUTE);
        answer(Outcome.CREATED, Buffer.buffer());
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
        answer(outcome, RegistrationPages.formWithErrors(errors, values));
      }
    }

    private void plain(int status, Outcome outcome, Buffer text, CharSequence retryAfter) {
      HttpServerResponse response = request.response().setStatusCode(status)
          .putHeader(HttpHeaders.CONTENT_TYPE, TEXT_PLAIN);
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
