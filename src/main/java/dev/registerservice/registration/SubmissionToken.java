package dev.registerservice.registration;

import java.util.regex.Pattern;

/**
 * What makes a repeat of a registration recognisable: a form's one-time submission token or a JSON client's
 * {@code Idempotency-Key}. Each kind is stored under its own prefix, so a key can never match a form token.
 * Both are bounded alike ({@link #fits}); the form's own tokens (32 hex digits) always fit.
 */
public sealed interface SubmissionToken {
  /**
   * 1 to 255 printable ASCII characters other than {@code "} and {@code \}: what an RFC 8941 string holds
   * unescaped. The value is stored and compared, never interpreted.
   */
  Pattern VALUE = Pattern.compile("[\\x20-\\x21\\x23-\\x5B\\x5D-\\x7E]{1,255}");

  /** Whether {@code value} may be a token: the one bound of the header and of the form's field. */
  static boolean fits(String value) {
    return VALUE.matcher(value).matches();
  }

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
