package dev.registerservice.registration;

/** How one {@code POST /user/register} ended: the {@code outcome} tag of {@code registrations_total}. */
public enum Outcome {
  /** Stored and committed: 201 (JSON) or 303 (form). */
  CREATED("created"),
  /** A field failed validation, or the body was not a form or JSON object: 400. */
  INVALID("invalid"),
  /** The username or email is taken (case-insensitively): 409. */
  DUPLICATE("duplicate"),
  /** The hashing queue was full: 503 with {@code Retry-After}. */
  OVERLOADED("overloaded"),
  /** The database is starting, down, or not configured: 503 with {@code Retry-After}. */
  UNAVAILABLE("unavailable"),
  /** The body exceeded {@code REGISTER_MAX_REQUEST_BODY_BYTES}: 413. */
  TOO_LARGE("too_large"),
  /** Neither {@code application/x-www-form-urlencoded} nor {@code application/json} (UTF-8): 415. */
  UNSUPPORTED_MEDIA_TYPE("unsupported_media_type");

  private final String label;

  Outcome(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
