package dev.registerservice.http;

import dev.registerservice.registration.HashingPool;
import dev.registerservice.registration.Outcome;
import dev.registerservice.registration.RegistrationRules;
import dev.registerservice.storage.UserStore;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.util.Map;

/**
 * Which answer each way a registration can fail gets: the one table from failure to status, outcome and
 * message. Anything not in it is unexpected: 500, and logged.
 */
final class RegistrationAnswers {
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  static final String KEY_ERROR = "must be a string of 1 to 255 printable ASCII characters";
  /** The form's hidden token field, bounded as the header is ({@code SubmissionToken.fits}). */
  static final String SUBMISSION = "submission";
  static final String SUBMISSION_ERROR = "The form's submission token must be 1 to 255 printable ASCII characters."
      + " This form carries a new one: send it again.";
  static final String KEY_REUSED = "was already used for a request with a different username, email or country;"
      + " use a new key for a new request";
  static final String TOKEN_REUSED = "This form was already used to create another account. Check the"
      + " fields and register again.";
  static final String BODY_ERROR = "must be a form (application/x-www-form-urlencoded) or a JSON object";
  static final CharSequence RETRY_OVERLOADED = HttpHeaders.createOptimized("1");
  static final CharSequence RETRY_UNAVAILABLE = HttpHeaders.createOptimized("5");
  static final Buffer TOO_LARGE = Buffer.buffer("Payload Too Large\n");
  static final Buffer UNSUPPORTED = Buffer.buffer(
      "Unsupported Media Type: send application/x-www-form-urlencoded or application/json in UTF-8\n");
  static final Buffer OVERLOADED = Buffer.buffer("Service Unavailable: too many registrations at once\n");
  static final Buffer UNAVAILABLE = Buffer.buffer("Service Unavailable: the database is not available\n");
  static final Buffer UNCONFIRMED = Buffer.buffer("Service Unavailable: the database did not confirm the"
      + " registration in time, so it may or may not be stored. Send the same request again (with the same"
      + " Idempotency-Key, if it had one): a stored registration is answered 201 with its id, nothing is created"
      + " twice.\n");
  /** The form's words for it, on the password field: the one the person must type again to send it again. */
  static final String UNCONFIRMED_FORM = "We could not confirm your registration: the database did not answer in"
      + " time. Type your password again and press Register: if your account was created you will be taken to"
      + " it, and nothing is created twice.";
  static final Buffer CROSS_SITE = Buffer.buffer("Forbidden: this form accepts posts from its own site only\n");
  static final Buffer FAILED = Buffer.buffer("Internal Server Error\n");

  /** A plain-text answer. */
  record Plain(int status, Outcome outcome, Buffer text, CharSequence retryAfter) implements Answer {
  }

  /** Field errors: JSON {@code {"errors": {...}}}, or the form again with the messages. */
  record FieldErrors(int status, Outcome outcome, Map<String, String> errors, boolean spendsFormToken,
      CharSequence retryAfter) implements Answer {
    FieldErrors(int status, Outcome outcome, Map<String, String> errors, boolean spendsFormToken) {
      this(status, outcome, errors, spendsFormToken, null);
    }
  }

  sealed interface Answer permits Plain, FieldErrors {
  }

  private RegistrationAnswers() {
  }

  /** The answer to {@code failure}, or null when it is unexpected (500, logged by the caller). */
  static Answer to(Throwable failure, boolean json) {
    if (failure instanceof UserStore.Duplicate duplicate) {
      boolean email = duplicate.field().equals("email");
      return new FieldErrors(409, Outcome.DUPLICATE, Map.of(duplicate.field(),
          email ? RegistrationRules.EMAIL_TAKEN : RegistrationRules.USERNAME_TAKEN), false);
    }
    if (failure instanceof UserStore.TokenReused) {
      // A form's token is spent: the form comes again with a fresh one.
      return json ? new FieldErrors(422, Outcome.KEY_REUSED, Map.of(IDEMPOTENCY_KEY, KEY_REUSED), false)
          : new FieldErrors(409, Outcome.KEY_REUSED, Map.of("username", TOKEN_REUSED), true);
    }
    if (failure instanceof HashingPool.Overloaded) {
      return new Plain(503, Outcome.OVERLOADED, OVERLOADED, RETRY_OVERLOADED);
    }
    if (failure instanceof UserStore.Unavailable) {
      return new Plain(503, Outcome.UNAVAILABLE, UNAVAILABLE, RETRY_UNAVAILABLE);
    }
    if (failure instanceof UserStore.OutcomeUnknown) {
      // The form keeps its token: sent again, it finds the registration if it was stored.
      return json ? new Plain(503, Outcome.UNCONFIRMED, UNCONFIRMED, RETRY_UNAVAILABLE)
          : new FieldErrors(503, Outcome.UNCONFIRMED, Map.of("password", UNCONFIRMED_FORM), false, RETRY_UNAVAILABLE);
    }
    return null;
  }
}
