package dev.registerservice.registration;

import java.util.Locale;

/** How one {@code POST /user/register} ended: the {@code outcome} tag of {@code registrations_total}. */
public enum Outcome {
  /** Stored and committed: 201 (JSON) or 303 (form). */
  CREATED,
  /**
   * A repeat of a request that already created its account (the same form submission token or the same
   * {@code Idempotency-Key}, or the same username, email, country and password): answered as the first one
   * was, 303 or 201, and nothing stored again.
   */
  REPLAYED,
  /** A field failed validation, or the body was not a form or JSON object: 400. */
  INVALID,
  /** The username or email is taken (case-insensitively): 409. */
  DUPLICATE,
  /** The hashing queue was full: 503 with {@code Retry-After}. */
  OVERLOADED,
  /** The database is starting, down, or not configured: 503 with {@code Retry-After}; nothing stored. */
  UNAVAILABLE,
  /**
   * The commit was sent and its answer lost: 503 with {@code Retry-After}; stored or not, a retry with the same
   * token (or the same fields and password) learns which.
   */
  UNCONFIRMED,
  /** An {@code Idempotency-Key} already used for a different registration: 422. */
  KEY_REUSED,
  /** A browser said the post came from another site ({@code Sec-Fetch-Site} or {@code Origin}): 403. */
  CROSS_SITE,
  /** Something failed that should not (a bug, a database error other than being unreachable): 500, logged. */
  FAILED,
  /** The body exceeded {@code REGISTER_MAX_REQUEST_BODY_BYTES}: 413. */
  TOO_LARGE,
  /** Neither {@code application/x-www-form-urlencoded} nor {@code application/json} (UTF-8): 415. */
  UNSUPPORTED_MEDIA_TYPE;

  /** The tag value: the name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
