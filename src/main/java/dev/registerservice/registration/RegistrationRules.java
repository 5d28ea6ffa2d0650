package dev.registerservice.registration;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The validation rules of a registration, the same for form posts and JSON, and the single source of the
 * browser's checks: the form's {@code pattern}, {@code minlength} and {@code maxlength} attributes are built
 * from the constants here, so what the browser accepts is what the server accepts. Every failing field is
 * reported, each with one sentence a person can act on, in the order of the form's fields.
 *
 * <ul>
 *   <li>{@code username}: 3 to 32 characters from {@code A-Z a-z 0-9 _ . -}; unique ignoring case.</li>
 *   <li>{@code email}: at most 254 characters, a dot-atom local part of at most 64 characters, {@code @}, a DNS
 *       name of at least two labels ending in a letters-only top-level label (no quoted local parts, no IP
 *       literals, so not {@code jane@localhost}); stored lower-cased; unique.</li>
 *   <li>{@code password}: 12 to 1,024 characters, counted as browsers count {@code minlength}/{@code maxlength}
 *       (UTF-16 code units, so most emoji count two); hence at most 3,072 bytes of UTF-8 reach the hasher.</li>
 *   <li>{@code country}: an ISO 3166 alpha-2 code, as the form's select sends it.</li>
 *   <li>{@code terms}: accepted (the form's checkbox sends {@code accepted}; JSON may send {@code true}).</li>
 * </ul>
 *
 * <p>The patterns are written to be valid both as Java regexes and as HTML {@code pattern} values, which
 * browsers compile with the {@code v} flag: inside a class, {@code - / { } |} are escaped.
 */
public final class RegistrationRules {
  public static final int USERNAME_MIN = 3;
  public static final int USERNAME_MAX = 32;
  /** The username rule; also the form's {@code pattern} attribute. */
  public static final String USERNAME_PATTERN = "[A-Za-z0-9_.\\-]{3,32}";
  public static final Pattern USERNAME = Pattern.compile(USERNAME_PATTERN);
  private static final String ATEXT = "[A-Za-z0-9!#$%&'*+\\/=?^_`\\{\\|\\}~\\-]+";
  private static final String LABEL = "[A-Za-z0-9]([A-Za-z0-9\\-]{0,61}[A-Za-z0-9])?";
  /** The email rule (but the 254-character limit, which is {@code maxlength}); also the form's {@code pattern}. */
  public static final String EMAIL_PATTERN =
      "(?=[^@]{1,64}@)" + ATEXT + "(\\." + ATEXT + ")*@(" + LABEL + "\\.)+[A-Za-z]{2,63}";
  private static final Pattern EMAIL = Pattern.compile(EMAIL_PATTERN);
  public static final int EMAIL_MAX = 254;
  public static final int PASSWORD_MIN = 12;
  public static final int PASSWORD_MAX = 1024;
  private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());
  private static final Set<String> ACCEPTED = Set.of("accepted", "true", "on");

  /** Shown under each field before anything is submitted, and as the message when the field breaks it. */
  public static final String USERNAME_HINT = "3 to 32 characters: letters, digits, dots, dashes or underscores.";
  public static final String EMAIL_HINT = "An address like name@example.com.";
  public static final String PASSWORD_HINT = "12 to 1,024 characters.";

  public static final String USERNAME_MESSAGE = "Use " + USERNAME_HINT;
  public static final String EMAIL_MESSAGE = "Enter an email address like name@example.com.";
  public static final String PASSWORD_MESSAGE = "Use 12 to 1,024 characters.";
  public static final String PASSWORD_UNDECODABLE = "The password holds bytes or characters that cannot be read"
      + " exactly (invalid UTF-8, or a lone surrogate). Type it again.";
  public static final String COUNTRY_MESSAGE = "Choose a country from the list.";
  public static final String TERMS_MESSAGE = "Accept the terms of service to create an account.";
  public static final String USERNAME_TAKEN = "This username is taken. Choose another one.";
  public static final String EMAIL_TAKEN = "An account with this email address already exists.";
  public static final String NOT_A_STRING = "Must be a string.";
  private static final Map<String, String> REQUIRED = Map.of(
      "username", "Enter a username.",
      "email", "Enter your email address.",
      "password", "Enter a password.",
      "country", "Choose your country.",
      "terms", TERMS_MESSAGE);

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
      // String.length() counts UTF-16 code units, exactly as the browser's minlength and maxlength do.
      if (!exactlyEncodable(password)) {
        errors.put("password", PASSWORD_UNDECODABLE);
      } else if (password.length() < PASSWORD_MIN || password.length() > PASSWORD_MAX) {
        errors.put("password", PASSWORD_MESSAGE);
      }
    }
    String country = text(fields, "country", errors);
    if (country != null && !COUNTRIES.contains(country)) {
      errors.put("country", COUNTRY_MESSAGE);
    }
    Object terms = fields.get("terms");
    if (!(Boolean.TRUE.equals(terms) || terms instanceof String && ACCEPTED.contains(terms))) {
      errors.put("terms", TERMS_MESSAGE);
    }
    if (!errors.isEmpty()) {
      return new Result(null, Collections.unmodifiableMap(errors));
    }
    return new Result(new Registration(username, email.toLowerCase(Locale.ROOT), password, country), null);
  }

  private static String text(Map<String, ?> fields, String name, Map<String, String> errors) {
    Object value = fields.get(name);
    if (value == null || value instanceof String && ((String) value).isEmpty()) {
      errors.put(name, REQUIRED.get(name));
      return null;
    }
    if (!(value instanceof String)) {
      errors.put(name, NOT_A_STRING);
      return null;
    }
    return (String) value;
  }

  /**
   * False for a lone surrogate: what JSON's {@code \ud800} decodes to, and what a form value with invalid
   * UTF-8 is turned into. Such a password has no exact byte form, so two different inputs could hash the same.
   */
  static boolean exactlyEncodable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  static boolean isEmail(String email) {
    return email.length() <= EMAIL_MAX && EMAIL.matcher(email).matches();
  }
}
