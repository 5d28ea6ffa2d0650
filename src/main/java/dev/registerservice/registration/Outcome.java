package dev.registerservice.registration;

import java.util.Locale;

/** How one {@code POST /user/register} ended: the {@code outcome} tag of {@code registrations_total}. */
public enum Outcome {
  /** Stored and committed: 201 (JSON) or 303 (form). */
  CREATED,
  /** A field failed validation, or the body was not a form or JSON object: 400. */
  INVALID,
  /** The username or email is taken (case-insensitively): 409. */
  DUPLICATE,
  /** The hashing queue was full: 503 with {@code Retry-After}. */
  OVERLOADED,
  /** The database is starting, down, or not configured: 503 with {@code Retry-After}. */
  UNAVAILABLE,
  /** The body exceeded {@code REGISTER_MAX_REQUEST_BODY_BYTES}: 413. */
  TOO_LARGE,
  /** Neither {@code application/x-www-form-urlencoded} nor {@code application/json} (UTF-8): 415. */
  UNSUPPORTED_MEDIA_TYPE;

  /** The tag value: the name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
