package dev.registerservice.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.registerservice.registration.RegistrationRules;
import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.ServiceProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;

/**
 * The registration pages as a person meets them: the packaged jar, a real PostgreSQL, Debian's Chromium driven
 * by WebDriver through Debian's chromedriver. Every page visited is checked for console errors and with
 * axe-core (0 violations); the browser's own checks are compared with the server's, rule by rule.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BrowserIT {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path AXE = Path.of("src/test/browser/node_modules/axe-core/axe.min.js");
  private static final Path SCREENSHOTS = Path.of("target/screenshots");

  private static ServiceProcess service;
  private static Path dataDir;
  private static String axe;
  private ChromeDriver driver;
  private final List<String> visited = new ArrayList<>();

  @BeforeAll
  static void start() throws IOException {
    assertThat(CHROMIUM).as("apt-get install chromium").isExecutable();
    assertThat(CHROMEDRIVER).as("apt-get install chromium-driver").isExecutable();
    assertThat(AXE).as("npm install in src/test/browser (the build's pre-integration-test step)").isRegularFile();
    axe = Files.readString(AXE);
    // The service's own embedded PostgreSQL: the shaded jar on this classpath already holds its binaries.
    dataDir = Files.createTempDirectory("browser-it-db");
    service = ServiceProcess.start(Map.of("REGISTER_DB_EMBEDDED", "true", "REGISTER_DATA_DIR", dataDir.toString(),
        "REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS", "0",
        "REGISTER_ARGON2_MEMORY_KIB", "4096", "REGISTER_ARGON2_ITERATIONS", "2"));
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> Scrape.of(service.managementPort()).value("registration_database_ready") == 1.0);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (service != null) {
      // A clean stop, so that the service stops its PostgreSQL too.
      service.terminate();
      service.waitFor(Duration.ofSeconds(60));
      service.close();
    }
  }

  /** Whether an account with this username exists: the server says it is taken. */
  private static boolean registered(String name) {
    HttpResponse<String> probe = Registrations.postJson(service.port(), Registrations.valid(name)
        .put("email", Registrations.uniqueName("probe").toLowerCase() + "@example.com"));
    return probe.statusCode() == 409 && probe.body().contains("\"username\"");
  }

  @BeforeEach
  void openBrowser() {
    driver = browser(true);
  }

  @AfterEach
  void closeBrowser() {
    try {
      assertNoConsoleErrors();
    } finally {
      driver.quit();
    }
  }

  private static ChromeDriver browser(boolean javascript) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--window-size=1280,1100");
    if (!javascript) {
      options.setExperimentalOption("prefs", Map.of("profile.managed_default_content_settings.javascript", 2));
    }
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    // One chromedriver per browser: quit() stops the driver service it was given. Debian's chromedriver, so
    // Selenium Manager never looks for (or downloads) one.
    ChromeDriverService driverService = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    return new ChromeDriver(driverService, options);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + service.port() + path;
  }

  private void open(String path) {
    driver.get(url(path));
    checked();
  }

  /** The checks every page gets: no console error, and axe-core finds no violation. */
  private void checked() {
    visited.add(driver.getCurrentUrl() + " " + driver.getTitle());
    assertNoConsoleErrors();
    driver.executeScript(axe);
    Object result = driver.executeAsyncScript("var done = arguments[arguments.length - 1];"
        + "axe.run(document).then(function (r) { done(JSON.stringify(r.violations)); })"
        + ".catch(function (e) { done('axe failed: ' + e); });");
    assertThat(result).isInstanceOf(String.class);
    assertThat((String) result).as("axe-core on " + driver.getCurrentUrl()).startsWith("[");
    JsonArray violations = new JsonArray((String) result);
    assertThat(violations.encodePrettily()).as("axe-core violations on " + driver.getCurrentUrl()).isEqualTo("[ ]");
  }

  /**
   * Chromium reports a document answered with 4xx as "Failed to load resource" in the console. The form's
   * error pages are 400 and 409 on purpose (the status says what happened, to clients, logs and metrics), so
   * exactly that entry, for the form's own URL, is not a fault of the page; every other entry at warning level
   * or above is.
   */
  private void assertNoConsoleErrors() {
    String ownStatus = url("/user/register") + " - Failed to load resource: the server responded with a status of 4";
    List<String> errors = new ArrayList<>();
    for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
      boolean errorPage = entry.getMessage().startsWith(ownStatus)
          && (entry.getMessage().contains("400 (Bad Request)") || entry.getMessage().contains("409 (Conflict)"));
      if (entry.getLevel().intValue() >= Level.WARNING.intValue() && !errorPage) {
        errors.add(entry.getLevel() + " " + entry.getMessage());
      }
    }
    assertThat(errors).as("console errors after visiting " + visited).isEmpty();
  }

  private WebElement field(String id) {
    return driver.findElement(By.id(id));
  }

  private void fill(String username, String email, String password, String country, boolean terms) {
    field("username").sendKeys(username);
    field("email").sendKeys(email);
    field("password").sendKeys(password);
    if (country != null) {
      new Select(field("country")).selectByValue(country);
    }
    if (terms) {
      field("terms").click();
    }
  }

  private void waitForPath(String prefix) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
        .until(() -> driver.getCurrentUrl().startsWith(url(prefix)));
  }

  private String activeId() {
    return (String) driver.executeScript("return document.activeElement && document.activeElement.id;");
  }

  private double outcome(String outcome) {
    return Scrape.of(service.managementPort()).value("registrations_total{outcome=\"" + outcome + "\"}");
  }

  @Test
  void aValidSignUpEndsOnAConfirmationThatNamesThePerson() throws IOException {
    open("/user/register");
    assertThat(driver.getTitle()).isEqualTo("Create your account");
    assertThat(field("submission").getDomProperty("value")).as("the script made a token").matches("[0-9a-f]{32}");
    screenshot("register-form.png");
    String name = Registrations.uniqueName("ui");
    fill(name, name.toLowerCase() + "@example.com", Registrations.PASSWORD, "JP", true);
    field("password").submit();
    waitForPath("/user/registered");
    checked();
    assertThat(driver.getTitle()).isEqualTo("Account created");
    assertThat(driver.findElement(By.tagName("main")).getText()).contains("Welcome, " + name + "!");
    driver.findElement(By.linkText("Create another account")).click();
    waitForPath("/user/register");
    assertThat(registered(name)).isTrue();
  }

  @Test
  void theBrowsersChecksAgreeWithTheServersForEveryRule() {
    String[][] cases = {
        {"username", "ab", "invalid"}, {"username", "abc" + System.nanoTime() % 1000, "valid"},
        {"username", "has space", "invalid"}, {"username", "slash/name", "invalid"},
        {"username", "ünïcode", "invalid"}, {"username", "ok_name.with-dash" + System.nanoTime() % 1000, "valid"},
        {"email", "jane@localhost", "invalid"}, {"email", "a..b@example.com", "invalid"},
        {"email", "no-at-sign", "invalid"}, {"email", "a@example.c0m", "invalid"},
        {"email", ".a@example.com", "invalid"}, {"email", "a@-example.com", "invalid"},
        {"email", "first.last+tag" + System.nanoTime() + "@sub.example.co.uk", "valid"},
        {"password", "elevenchars", "invalid"}, {"password", "twelve chars", "valid"},
        {"password", "ééééééééééé", "invalid"}, {"password", "éééééééééééé", "valid"},
    };
    open("/user/register");
    for (String[] c : cases) {
      driver.navigate().refresh();
      WebElement input = field(c[0]);
      input.sendKeys(c[1]);
      boolean browser = (Boolean) driver.executeScript("return arguments[0].checkValidity();", input);
      JsonObject body = Registrations.valid(Registrations.uniqueName("agree")).put(c[0], c[1]);
      if (c[0].equals("username")) {
        body.put("email", Registrations.uniqueName("agree").toLowerCase() + "@example.com");
      }
      HttpResponse<String> response = Registrations.postJson(service.port(), body);
      boolean server = response.statusCode() == 201;
      assertThat(browser).as("browser on " + c[0] + " = '" + c[1] + "'").isEqualTo(c[2].equals("valid"));
      assertThat(server).as("server on " + c[0] + " = '" + c[1] + "': " + response.body())
          .isEqualTo(c[2].equals("valid"));
    }
    // Lengths the browser cannot exceed are the server's limits exactly.
    assertThat(field("username").getDomAttribute("maxlength")).isEqualTo(String.valueOf(RegistrationRules.USERNAME_MAX));
    assertThat(field("email").getDomAttribute("maxlength")).isEqualTo(String.valueOf(RegistrationRules.EMAIL_MAX));
    assertThat(field("password").getDomAttribute("maxlength")).isEqualTo(String.valueOf(RegistrationRules.PASSWORD_MAX));
    // Required fields, country and terms: the browser will not submit an empty form.
    field("username").submit();
    assertThat(driver.getCurrentUrl()).isEqualTo(url("/user/register"));
    assertThat((Boolean) driver.executeScript("return document.querySelector('form').checkValidity();")).isFalse();
  }

  @Test
  void theErrorPageTiesEveryMessageToItsFieldAndFocusesTheFirst() throws IOException {
    open("/user/register");
    // As a browser that checks nothing would send it (JavaScript off does not stop the browser's checks).
    driver.executeScript("document.querySelector('form').noValidate = true;");
    fill("<b>x", "jane@localhost", "short", null, true);
    field("password").submit();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> driver.getTitle().startsWith("Error"));
    checked();
    assertThat(driver.getTitle()).isEqualTo("Error: 4 fields need attention – Create your account");
    assertThat(activeId()).as("focus on the first bad field").isEqualTo("username");
    WebElement summary = driver.findElement(By.id("summary"));
    assertThat(summary.getDomAttribute("role")).isEqualTo("alert");
    assertThat(summary.findElements(By.tagName("a"))).hasSize(4);
    Map<String, String> expected = Map.of("username", RegistrationRules.USERNAME_MESSAGE,
        "email", RegistrationRules.EMAIL_MESSAGE, "password", RegistrationRules.PASSWORD_MESSAGE,
        "country", "Choose your country.");
    for (Map.Entry<String, String> bad : expected.entrySet()) {
      WebElement input = field(bad.getKey());
      assertThat(input.getDomAttribute("aria-invalid")).as(bad.getKey()).isEqualTo("true");
      assertThat(input.getDomAttribute("aria-describedby")).as(bad.getKey()).contains(bad.getKey() + "-error");
      assertThat(field(bad.getKey() + "-error").getText()).isEqualTo(bad.getValue());
    }
    assertThat(field("terms").getDomAttribute("aria-invalid")).isNull();
    assertThat(field("terms").isSelected()).as("the terms box stays ticked").isTrue();
    assertThat(field("username").getDomProperty("value")).isEqualTo("<b>x");
    assertThat(field("password").getDomProperty("value")).as("never echoed").isEmpty();
    screenshot("register-errors.png");

    // Following a summary link moves to its field.
    summary.findElements(By.tagName("a")).get(1).click();
    assertThat(activeId()).isEqualTo("email");
  }

  @Test
  void aDoubleClickOnRegisterEndsOnTheConfirmationWithOneAccount() {
    open("/user/register");
    String name = Registrations.uniqueName("dbl");
    fill(name, name.toLowerCase() + "@example.com", Registrations.PASSWORD, "FR", true);
    double duplicates = outcome("duplicate");
    double created = outcome("created");
    double before = created + outcome("replayed") + duplicates;
    new Actions(driver).doubleClick(driver.findElement(By.cssSelector("button[type=submit]"))).perform();
    waitForPath("/user/registered");
    checked();
    assertThat(driver.findElement(By.tagName("main")).getText()).contains("Welcome, " + name + "!");
    assertThat(outcome("duplicate")).as("nobody is told their own account is taken").isEqualTo(duplicates);
    // Chromium cancels the first submission when the second starts its navigation: whether the first one's body
    // reached the server first is a race (both did on a quiet machine, one did beside CPU hogs). Either way the
    // person ends on their confirmation with one account; RegistrationRepeatTest sends the two posts for sure.
    assertThat(outcome("created") + outcome("replayed") + outcome("duplicate") - before)
        .as("one or both clicks reached the server").isBetween(1.0, 2.0);
    assertThat(outcome("created") - created).as("one account").isEqualTo(1.0);
    assertThat(registered(name)).isTrue();
  }

  @Test
  void duplicatesAreNamedOnTheirFieldWithFocus() {
    String name = Registrations.uniqueName("taken");
    assertThat(Registrations.postJson(service.port(), Registrations.valid(name)).statusCode()).isEqualTo(201);

    open("/user/register");
    fill(name.toUpperCase(), Registrations.uniqueName("o").toLowerCase() + "@example.com", Registrations.PASSWORD,
        "FR", true);
    field("password").submit();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> driver.getTitle().startsWith("Error"));
    checked();
    assertThat(field("username-error").getText()).isEqualTo(RegistrationRules.USERNAME_TAKEN);
    assertThat(activeId()).isEqualTo("username");
    assertThat(field("terms").isSelected()).isTrue();

    driver.get(url("/user/register"));
    fill(Registrations.uniqueName("o"), name.toLowerCase() + "@example.com", Registrations.PASSWORD, "FR", true);
    field("password").submit();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> driver.getTitle().startsWith("Error"));
    checked();
    assertThat(field("email-error").getText()).isEqualTo(RegistrationRules.EMAIL_TAKEN);
    assertThat(activeId()).isEqualTo("email");
  }

  @Test
  void atPhoneWidthNothingScrollsSideways() {
    driver.manage().window().setSize(new Dimension(390, 844));
    open("/user/register");
    assertNoSidewaysScroll();
    driver.executeScript("document.querySelector('form').noValidate = true;");
    field("username").submit();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> driver.getTitle().startsWith("Error"));
    checked();
    assertNoSidewaysScroll();
    open("/user/registered?name=someone");
    assertNoSidewaysScroll();
  }

  private void assertNoSidewaysScroll() {
    long scroll = (Long) driver.executeScript("return document.documentElement.scrollWidth;");
    long width = (Long) driver.executeScript("return document.documentElement.clientWidth;");
    assertThat(scroll).as("page width at " + width + " px").isLessThanOrEqualTo(width);
  }

  @Test
  void withJavaScriptOffTheFormStillRegisters() {
    driver.quit();
    driver = browser(false);
    driver.get(url("/user/register"));
    assertThat(field("submission").getDomProperty("value")).as("no script, no token").isEmpty();
    String name = Registrations.uniqueName("nojs");
    fill(name, name.toLowerCase() + "@example.com", Registrations.PASSWORD, "DE", true);
    field("password").submit();
    waitForPath("/user/registered");
    assertThat(driver.findElement(By.tagName("main")).getText()).contains("Welcome, " + name + "!");
  }

  private void screenshot(String name) throws IOException {
    Files.createDirectories(SCREENSHOTS);
    File png = driver.getScreenshotAs(OutputType.FILE);
    Files.copy(png.toPath(), SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }
}
