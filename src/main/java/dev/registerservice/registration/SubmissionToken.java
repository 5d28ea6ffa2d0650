package dev.registerservice.registration;

/**
 * What makes a repeat of a registration recognisable: a form's one-time submission token or a JSON client's
 * {@code Idempotency-Key}. Each kind is stored under its own prefix, so a key can never match a form token.
 */
public sealed interface SubmissionToken {
  /** The value stored in {@code submissions.token}. */
  String stored();

  /** An {@code Idempotency-Key} header, unquoted. A reuse for another request is answered 422. */
  record IdempotencyKey(String value) implements SubmissionToken {
    @Override
    public String stored() {
      return "key:" + value;
    }
  }

  /** The form's hidden {@code submission} field. A reuse for another request shows the form again, 409. */
  record FormToken(String value) implements SubmissionToken {
    @Override
    public String stored() {
      return "form:" + value;
    }
  }
}
