package dev.registerservice.http;

import dev.registerservice.pages.FormView;
import dev.registerservice.pages.Pages;
import dev.registerservice.registration.RegistrationRules;
import io.vertx.core.buffer.Buffer;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * The HTML answers of a form post, from the same template as the GET page: the form again with the
 * submitted values (never the password), the terms box as it was, a message at each failing field (400, 409),
 * and a one-time submission token; and the confirmation page a successful registration is redirected to.
 */
final class RegistrationPages {
  private static final SecureRandom RANDOM = new SecureRandom();

  private RegistrationPages() {
  }

  /** The form with the submitted values and one message per failing field. */
  static Buffer formWithErrors(Map<String, String> errors, Map<String, ?> values, String token) {
    Object terms = values.get("terms");
    FormView form = new FormView(text(values.get("username")), text(values.get("email")), text(values.get("country")),
        "accepted".equals(terms) || Boolean.TRUE.equals(terms), errors, token != null ? token : newToken());
    return Buffer.buffer(Pages.form(form));
  }

  /** The confirmation page, greeting {@code username} if it is one (anything else is not echoed). */
  static Buffer registered(String username) {
    boolean valid = username != null && RegistrationRules.USERNAME.matcher(username).matches();
    return Buffer.buffer(Pages.registered(valid ? username : null));
  }

  /** A submission token for a page rendered here (the pre-rendered page's script makes its own). */
  static String newToken() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static String text(Object value) {
    return value instanceof String ? (String) value : "";
  }
}
