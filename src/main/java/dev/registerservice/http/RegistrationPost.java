package dev.registerservice.http;

import dev.registerservice.transport.ConnectionHandlers;
import dev.registerservice.registration.Outcome;
import dev.registerservice.registration.Registrar;
import dev.registerservice.registration.RegistrationMetrics;
import dev.registerservice.registration.RegistrationRules;
import dev.registerservice.registration.SubmissionToken;
import dev.registerservice.registration.UnexpectedFailures;
import dev.registerservice.storage.UserStore;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code POST /user/register}, on its connection's event loop from start to answer: checks the request's
 * head, reads the body up to the limit, validates it, hands it to the {@link Registrar} and answers. Every
 * answer leaves through {@link #answer}, once.
 */
final class RegistrationPost {
  private static final CharSequence TEXT_HTML = HttpHeaders.createOptimized("text/html; charset=utf-8");
  private static final CharSequence TEXT_PLAIN = HttpHeaders.createOptimized("text/plain; charset=utf-8");
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
  /** A Structured Fields string's characters (printable ASCII but {@code "} and {@code \}), at most 255. */

  /** What every exchange of one handler shares. */
  record Shared(Registrar registrar, RegistrationMetrics metrics, ResponseTracker responses, int maxBodyBytes,
      AccessLog accessLog, UnexpectedFailures failures) {
  }

  private final Shared shared;
  private final HttpServerRequest request;
  private final long startNanos;
  private Buffer body;
  private boolean json;
  private SubmissionToken token;
  private boolean answered;

  RegistrationPost(Shared shared, HttpServerRequest request) {
    this.shared = shared;
    this.request = request;
    this.startNanos = shared.accessLog().start();
  }

  void start() {
    shared.responses().started();
    if (CrossSite.refused(request)) {
      plain(new RegistrationAnswers.Plain(403, Outcome.CROSS_SITE, RegistrationAnswers.CROSS_SITE, null));
      return;
    }
    String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
    String mediaType = type == null ? "" : RegistrationBody.mediaType(type);
    if (!(mediaType.equals(RegistrationBody.FORM) || mediaType.equals(RegistrationBody.JSON))
        || !RegistrationBody.utf8(type)) {
      plain(new RegistrationAnswers.Plain(415, Outcome.UNSUPPORTED_MEDIA_TYPE, RegistrationAnswers.UNSUPPORTED,
          null));
      return;
    }
    json = mediaType.equals(RegistrationBody.JSON);
    String key = request.getHeader(RegistrationAnswers.IDEMPOTENCY_KEY);
    if (key != null) {
      // RFC 8941 string: quoted; a bare token is accepted too, as most clients send one.
      String unquoted = key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"")
          ? key.substring(1, key.length() - 1) : key;
      if (!SubmissionToken.fits(unquoted)) {
        invalid(Map.of(RegistrationAnswers.IDEMPOTENCY_KEY, RegistrationAnswers.KEY_ERROR), Map.of());
        return;
      }
      token = new SubmissionToken.IdempotencyKey(unquoted);
    }
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    // The decoder has validated Content-Length; a value beyond long would have been refused there.
    if (length != null && Long.parseLong(length) > shared.maxBodyBytes()) {
      plain(tooLarge());
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

  private static RegistrationAnswers.Plain tooLarge() {
    return new RegistrationAnswers.Plain(413, Outcome.TOO_LARGE, RegistrationAnswers.TOO_LARGE, null);
  }

  private void received(Buffer chunk) {
    if (answered) {
      return;
    }
    if (body.length() + chunk.length() > shared.maxBodyBytes()) {
      plain(tooLarge());
      return;
    }
    body.appendBuffer(chunk);
  }

  /** The connection closed before the body was complete: nobody to answer. */
  private void gone() {
    if (!answered) {
      answered = true;
      shared.responses().ended();
    }
  }

  private void complete() {
    if (answered) {
      return;
    }
    Map<String, Object> fields = json ? RegistrationBody.json(body) : RegistrationBody.form(body);
    if (fields == null) {
      invalid(Map.of("body", RegistrationAnswers.BODY_ERROR), Map.of());
      return;
    }
    // An empty field is no token: the pre-rendered page sends it empty when its script did not run.
    if (!json && fields.get("submission") instanceof String submission && !submission.isEmpty()) {
      if (!SubmissionToken.fits(submission)) {
        invalid(Map.of(RegistrationAnswers.SUBMISSION, RegistrationAnswers.SUBMISSION_ERROR), fields);
        return;
      }
      token = new SubmissionToken.FormToken(submission);
    }
    RegistrationRules.Result result = RegistrationRules.validate(fields);
    if (!result.valid()) {
      invalid(result.errors(), fields);
      return;
    }
    shared.registrar().register(Vertx.currentContext(), result.registration(), token).onComplete(done -> {
      if (done.succeeded()) {
        created(done.result());
        return;
      }
      RegistrationAnswers.Answer answer = RegistrationAnswers.to(done.cause(), json);
      if (answer instanceof RegistrationAnswers.FieldErrors errors) {
        if (errors.spendsFormToken()) {
          token = null;
        }
        if (errors.retryAfter() != null) {
          request.response().putHeader(HttpHeaders.RETRY_AFTER, errors.retryAfter());
        }
        errors(errors.status(), errors.outcome(), errors.errors(), fields);
      } else if (answer instanceof RegistrationAnswers.Plain plain) {
        plain(plain);
      } else {
        shared.failures().report("POST /user/register", done.cause());
        plain(new RegistrationAnswers.Plain(500, Outcome.FAILED, RegistrationAnswers.FAILED, null));
      }
    });
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
      response.setStatusCode(303).putHeader(HttpHeaders.LOCATION,
          RegistrationHandler.REGISTERED_ROUTE + "?name=" + user.username());
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
          token instanceof SubmissionToken.FormToken form ? form.value() : null));
    }
  }

  private void plain(RegistrationAnswers.Plain plain) {
    HttpServerResponse response = request.response().setStatusCode(plain.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, TEXT_PLAIN);
    PageHeaders.apply(response.headers());
    if (plain.retryAfter() != null) {
      response.putHeader(HttpHeaders.RETRY_AFTER, plain.retryAfter());
    }
    answer(plain.outcome(), plain.text());
  }

  /** The one way out: counts the outcome, ends the response, logs the access line. */
  private void answer(Outcome outcome, Buffer content) {
    if (answered) {
      return;
    }
    answered = true;
    shared.metrics().count(outcome);
    HttpServerResponse response = request.response();
    // Answered before the body was read (413, 415): rather than read an unbounded body to keep the
    // connection, say so and close it once the answer is out.
    boolean close = !request.isEnded();
    if (close) {
      response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    }
    response.end(content).onComplete(sent -> {
      shared.responses().ended();
      if (close) {
        ConnectionHandlers.closeLingering(request.connection());
      }
      shared.accessLog().log(request, sent.succeeded() ? response.getStatusCode() : AccessLog.CLIENT_CLOSED,
          response.bytesWritten(), startNanos);
    });
  }
}
