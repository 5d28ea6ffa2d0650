package dev.registerservice.http;

import dev.registerservice.registration.RegistrationRules;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The HTML of a form post's answers: the form again with a message at each failing field (400, 409), and
 * the confirmation page that a successful registration is redirected to. The country options are the
 * registration page's, rendered once; the password is never echoed back.
 */
final class RegistrationPages {
  private static final String OPTIONS = RegisterPage.countryOptions();
  static final Buffer REGISTERED = Buffer.buffer("""
      <!DOCTYPE html>
      <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Account created</title>
      </head>
      <body>
        <h1>Account created</h1>
        <p>Your account is ready. Welcome!</p>
      </body>
      </html>
      """.getBytes(StandardCharsets.UTF_8));

  private RegistrationPages() {
  }

  /** The form with the submitted values (but not the password) and one message per failing field. */
  static Buffer formWithErrors(Map<String, String> errors, Map<String, ?> values) {
    String country = text(values.get("country"));
    String options = country.isEmpty() ? OPTIONS
        : OPTIONS.replace("<option value=\"" + escape(country) + "\">",
            "<option value=\"" + escape(country) + "\" selected>");
    StringBuilder html = new StringBuilder(OPTIONS.length() + 3_000);
    html.append(RegisterPage.HEAD).append("""
        <body>
          <h1>Create your account</h1>
          <p class="error">Please correct the fields marked below.</p>
          <form method="post" action="/user/register" accept-charset="utf-8">
            <label for="username">Username</label>
        """);
    html.append("      <input id=\"username\" name=\"username\" type=\"text\" required minlength=\"3\" maxlength=\"32\""
        + " pattern=\"" + RegistrationRules.USERNAME.pattern() + "\" autocomplete=\"username\" value=\"")
        .append(escape(text(values.get("username")))).append("\">\n");
    error(html, errors, "username");
    html.append("      <label for=\"email\">Email</label>\n")
        .append("      <input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"email\" value=\"")
        .append(escape(text(values.get("email")))).append("\">\n");
    error(html, errors, "email");
    html.append("      <label for=\"password\">Password</label>\n")
        .append("      <input id=\"password\" name=\"password\" type=\"password\" required minlength=\"12\""
            + " autocomplete=\"new-password\">\n");
    error(html, errors, "password");
    html.append("      <label for=\"country\">Country</label>\n")
        .append("      <select id=\"country\" name=\"country\" required>\n")
        .append("        <option value=\"\">Choose your country</option>\n")
        .append(options)
        .append("      </select>\n");
    error(html, errors, "country");
    html.append("      <label class=\"terms\"><input type=\"checkbox\" name=\"terms\" value=\"accepted\" required>\n")
        .append("        I accept the terms of service and the privacy policy.</label>\n");
    error(html, errors, "terms");
    html.append("      <button type=\"submit\">Register</button>\n    </form>\n  </body>\n</html>\n");
    return Buffer.buffer(html.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static void error(StringBuilder html, Map<String, String> errors, String field) {
    String message = errors.get(field);
    if (message != null) {
      html.append("      <p class=\"error\" id=\"").append(field).append("-error\">")
          .append(label(field)).append(' ').append(escape(message)).append("</p>\n");
    }
  }

  private static String label(String field) {
    return Character.toUpperCase(field.charAt(0)) + field.substring(1);
  }

  private static String text(Object value) {
    return value instanceof String ? (String) value : "";
  }

  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
        .replace("'", "&#39;");
  }
}
