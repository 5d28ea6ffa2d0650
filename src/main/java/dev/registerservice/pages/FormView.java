package dev.registerservice.pages;

import dev.registerservice.registration.RegistrationRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the registration form shows: the values to fill back in (never the password), the message of each
 * failing field in the form's order, and the one-time submission token (null in the pre-rendered page, where
 * the page's script makes one in the browser). The rules' attributes come from {@link RegistrationRules}.
 */
public record FormView(String username, String email, String country, boolean terms, Map<String, String> errors,
    String token) {
  /** The form's fields, in order; errors are listed and focused in this order. */
  public static final List<String> FIELDS = List.of("username", "email", "password", "country", "terms");

  /** The empty form, as the GET page shows it. */
  public static FormView blank() {
    return new FormView("", "", "", false, Map.of(), null);
  }

  public record FieldError(String field, String message) {
  }

  public boolean hasErrors() {
    return !errors.isEmpty();
  }

  /** The visible fields' errors in the form's order, then any other (the body, the hidden submission token). */
  public List<FieldError> errorList() {
    List<FieldError> list = new ArrayList<>(FIELDS.stream().filter(errors::containsKey)
        .map(f -> new FieldError(f, errors.get(f))).toList());
    errors.keySet().stream().filter(f -> !FIELDS.contains(f)).sorted()
        .forEach(f -> list.add(new FieldError(f, errors.get(f))));
    return list;
  }

  public String title() {
    String title = "Create your account";
    if (!hasErrors()) {
      return title;
    }
    int n = errors.size();
    return "Error: " + n + (n == 1 ? " field needs" : " fields need") + " attention – " + title;
  }

  public String error(String field) {
    return errors.get(field);
  }

  /** "true" on a failing field, else null (jte leaves the attribute out). */
  public String invalid(String field) {
    return errors.containsKey(field) ? "true" : null;
  }

  /** The first failing field gets the focus when the page loads, so a keyboard user starts there. */
  public boolean autofocus(String field) {
    return hasErrors() && FIELDS.stream().filter(errors::containsKey).findFirst().orElse("").equals(field);
  }

  /** The ids that describe a field: its hint, if it has one, and its error, if it failed. */
  public String describedBy(String field, boolean hint) {
    String ids = hint ? field + "-hint" : "";
    if (errors.containsKey(field)) {
      ids = ids.isEmpty() ? field + "-error" : ids + " " + field + "-error";
    }
    return ids.isEmpty() ? null : ids;
  }

  public boolean selected(Country option) {
    return option.code().equals(country);
  }

  public List<Country> countries() {
    return Country.ALL;
  }

  public String usernamePattern() {
    return RegistrationRules.USERNAME_PATTERN;
  }

  public String emailPattern() {
    return RegistrationRules.EMAIL_PATTERN;
  }

  public RulesView rules() {
    return RulesView.INSTANCE;
  }

  /** The limits and hints of {@link RegistrationRules}, for the template. */
  public static final class RulesView {
    static final RulesView INSTANCE = new RulesView();

    public int usernameMin() {
      return RegistrationRules.USERNAME_MIN;
    }

    public int usernameMax() {
      return RegistrationRules.USERNAME_MAX;
    }

    public int emailMax() {
      return RegistrationRules.EMAIL_MAX;
    }

    public int passwordMin() {
      return RegistrationRules.PASSWORD_MIN;
    }

    public int passwordMax() {
      return RegistrationRules.PASSWORD_MAX;
    }

    public String usernameHint() {
      return RegistrationRules.USERNAME_HINT;
    }

    public String emailHint() {
      return RegistrationRules.EMAIL_HINT;
    }

    public String passwordHint() {
      return RegistrationRules.PASSWORD_HINT;
    }
  }
}
