package dev.registerservice.registration;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The validation rules of a registration, the same for form posts and JSON. Every failing field is reported,
 * each with one message, in the order of the form's fields.
 *
 * <ul>
 *   <li>{@code username}: 3 to 32 characters from {@code [A-Za-z0-9_.-]}; unique ignoring case.</li>
 *   <li>{@code email}: at most 254 characters, a dot-atom local part of at most 64 characters, {@code @}, a DNS
 *       name of at least two labels ending in a letters-only top-level label (no quoted local parts, no IP
 *       literals); stored lower-cased; unique.</li>
 *   <li>{@code password}: 12 to 1,024 bytes in UTF-8.</li>
 *   <li>{@code country}: an ISO 3166 alpha-2 code, as the form's select sends it.</li>
 *   <li>{@code terms}: accepted (the form's checkbox sends {@code accepted}; JSON may send {@code true}).</li>
 * </ul>
 */
public final class RegistrationRules {
  public static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_.-]{3,32}");
  private static final String ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
  private static final Pattern LOCAL_PART = Pattern.compile(ATEXT + "(\\." + ATEXT + ")*");
  private static final Pattern DOMAIN =
      Pattern.compile("([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}");
  public static final int PASSWORD_MIN_BYTES = 12;
  public static final int PASSWORD_MAX_BYTES = 1024;
  private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());
  private static final Set<String> ACCEPTED = Set.of("accepted", "true", "on");

  public static final String USERNAME_MESSAGE = "must be 3 to 32 characters: letters, digits, '_', '.', '-'";
  public static final String EMAIL_MESSAGE = "must be a valid email address";
  public static final String PASSWORD_MESSAGE = "must be 12 to 1,024 bytes long";
  public static final String COUNTRY_MESSAGE = "must be a country from the list";
  public static final String TERMS_MESSAGE = "must be accepted";
  public static final String REQUIRED = "is required";
  public static final String NOT_A_STRING = "must be a string";

  private RegistrationRules() {
  }

  /** Either a valid registration or the errors by field (never both, never neither). */
  public record Result(Registration registration, Map<String, String> errors) {
    public boolean valid() {
      return registration != null;
    }
  }

  /**
   * Validates submitted fields. Values are Strings from a form; from JSON they may be anything JSON holds
   * (null or absent counts as missing; {@code terms} may be a boolean).
   */
  public static Result validate(Map<String, ?> fields) {
    Map<String, String> errors = new LinkedHashMap<>();
    String username = text(fields, "username", errors);
    if (username != null && !USERNAME.matcher(username).matches()) {
      errors.put("username", USERNAME_MESSAGE);
    }
    String email = text(fields, "email", errors);
    if (email != null && !isEmail(email)) {
      errors.put("email", EMAIL_MESSAGE);
    }
    String password = text(fields, "password", errors);
    if (password != null) {
      int bytes = password.getBytes(StandardCharsets.UTF_8).length;
      if (bytes < PASSWORD_MIN_BYTES || bytes > PASSWORD_MAX_BYTES) {
        errors.put("password", PASSWORD_MESSAGE);
      }
    }
    String country = text(fields, "country", errors);
    if (country != null && !COUNTRIES.contains(country)) {
      errors.put("country", COUNTRY_MESSAGE);
    }
    Object terms = fields.get("terms");
    if (!(Boolean.TRUE.equals(terms) || terms instanceof String && ACCEPTED.contains(terms))) {
      errors.put("terms", terms == null ? REQUIRED : TERMS_MESSAGE);
    }
    if (!errors.isEmpty()) {
      return new Result(null, Collections.unmodifiableMap(errors));
    }
    return new Result(new Registration(username, email.toLowerCase(Locale.ROOT), password, country), null);
  }

  private static String text(Map<String, ?> fields, String name, Map<String, String> errors) {
    Object value = fields.get(name);
    if (value == null || value instanceof String && ((String) value).isEmpty()) {
      errors.put(name, REQUIRED);
      return null;
    }
    if (!(value instanceof String)) {
      errors.put(name, NOT_A_STRING);
      return null;
    }
    return (String) value;
  }

  static boolean isEmail(String email) {
    int at = email.lastIndexOf('@');
    if (email.length() > 254 || at < 1 || at > 64 || at == email.length() - 1) {
      return false;
    }
    return LOCAL_PART.matcher(email).region(0, at).matches()
        && DOMAIN.matcher(email).region(at + 1, email.length()).matches();
  }
}
