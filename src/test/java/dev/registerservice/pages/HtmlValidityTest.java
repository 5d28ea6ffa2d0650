package dev.registerservice.pages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.http.RegisterPage;
import dev.registerservice.registration.RegistrationRules;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nu.validator.validation.SimpleDocumentValidator;
import org.junit.jupiter.api.Test;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXParseException;

/**
 * Every page the service can render passes the W3C Nu HTML Checker with no error and no warning: the
 * pre-rendered GET page as served (padding included), the form with each field's error alone and all at once,
 * both duplicate answers, the spent-token answer, and the confirmation with and without a name.
 */
class HtmlValidityTest {
  private static final List<String> problems = new ArrayList<>();
  private static SimpleDocumentValidator validator;

  /** What the validator found, as "line:column message". The schema is loaded once: it takes seconds. */
  private static synchronized List<String> validate(byte[] html) throws Exception {
    problems.clear();
    if (validator == null) {
      validator = newValidator();
    }
    InputSource source = new InputSource(new ByteArrayInputStream(html));
    source.setEncoding("UTF-8");
    validator.checkHtmlInputSource(source);
    return List.copyOf(problems);
  }

  private static SimpleDocumentValidator newValidator() throws Exception {
    ErrorHandler collect = new ErrorHandler() {
      @Override
      public void warning(SAXParseException e) {
        problems.add("warning " + e.getLineNumber() + ":" + e.getColumnNumber() + " " + e.getMessage());
      }

      @Override
      public void error(SAXParseException e) {
        problems.add("error " + e.getLineNumber() + ":" + e.getColumnNumber() + " " + e.getMessage());
      }

      @Override
      public void fatalError(SAXParseException e) {
        problems.add("fatal " + e.getLineNumber() + ":" + e.getColumnNumber() + " " + e.getMessage());
      }
    };
    SimpleDocumentValidator validator = new SimpleDocumentValidator(true, false, false);
    validator.setUpMainSchema("http://s.validator.nu/html5-all.rnc", collect);
    validator.setUpValidatorAndParsers(collect, false, false);
    return validator;
  }

  private static Map<String, byte[]> everyPage() {
    Map<String, byte[]> pages = new LinkedHashMap<>();
    pages.put("GET /user/register (16 KiB)", RegisterPage.render(16_384, 4_096).bytes());
    pages.put("GET /user/register (64 KiB)", RegisterPage.render(65_536, 4_096).bytes());
    Map<String, String> all = new LinkedHashMap<>();
    all.put("username", RegistrationRules.USERNAME_MESSAGE);
    all.put("email", RegistrationRules.EMAIL_MESSAGE);
    all.put("password", RegistrationRules.PASSWORD_MESSAGE);
    all.put("country", RegistrationRules.COUNTRY_MESSAGE);
    all.put("terms", RegistrationRules.TERMS_MESSAGE);
    for (Map.Entry<String, String> one : all.entrySet()) {
      pages.put("400 " + one.getKey(), Pages.form(new FormView("<jane>", "jane@localhost", "FR", true,
          Map.of(one.getKey(), one.getValue()), "0123456789abcdef0123456789abcdef")));
    }
    pages.put("400 every field", Pages.form(new FormView("", "", "", false, all, "0123456789abcdef0123456789abcdef")));
    pages.put("409 username", Pages.form(new FormView("jane", "jane@example.com", "DE", true,
        Map.of("username", RegistrationRules.USERNAME_TAKEN), "0123456789abcdef0123456789abcdef")));
    pages.put("409 email", Pages.form(new FormView("jane", "jane@example.com", "DE", true,
        Map.of("email", RegistrationRules.EMAIL_TAKEN), "0123456789abcdef0123456789abcdef")));
    pages.put("confirmation", Pages.registered("jane_doe"));
    pages.put("confirmation, no name", Pages.registered(null));
    return pages;
  }

  @Test
  void everyPageTheServiceRendersHasNoErrorAndNoWarning() throws Exception {
    Map<String, List<String>> found = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> page : everyPage().entrySet()) {
      List<String> problems = validate(page.getValue());
      if (!problems.isEmpty()) {
        found.put(page.getKey(), problems);
      }
    }
    assertThat(found).isEmpty();
  }

  @Test
  void theValidatorCatchesAnInvalidPage() throws Exception {
    // The check above could not pass by accident: a page with a duplicate id and a stray end tag fails.
    String broken = new String(Pages.registered("jane"), StandardCharsets.UTF_8)
        .replace("<h1>", "<h1 id=\"a\"><span id=\"a\"></span>").replace("</main>", "</main></div>");
    assertThat(validate(broken.getBytes(StandardCharsets.UTF_8))).isNotEmpty();
  }
}
