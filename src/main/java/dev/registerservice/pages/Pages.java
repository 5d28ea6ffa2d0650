package dev.registerservice.pages;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.Utf8ByteOutput;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;

/**
 * Every HTML page of the service, from the templates in {@code src/main/jte} (compiled to classes at build
 * time by jte-maven-plugin; jte escapes each value for where it lands: text, attribute, or nothing for
 * {@code $unsafe}, used only for this class's own constants). The inline style and script are constants here
 * so that the Content-Security-Policy can allow exactly them by hash, and nothing else.
 */
public final class Pages {
  /** The one stylesheet, inlined: one request per page, and allowed by hash in the CSP. */
  public static final String STYLE = """
      body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:#1b1b1b;\
      background:#f6f7f9;margin:0}\
      main{max-width:32rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem;\
      box-shadow:0 1px 3px rgba(0,0,0,.12)}\
      h1{font-size:1.6rem;margin:0 0 1rem}\
      label{display:block;margin-top:1rem;font-weight:600}\
      input,select{width:100%;padding:.5rem;box-sizing:border-box;font:inherit;border:1px solid #6b6b6b;\
      border-radius:.25rem}\
      input[aria-invalid],select[aria-invalid]{border:2px solid #b00020}\
      .hint{margin:.25rem 0 0;color:#4a4a4a;font-size:.9rem}\
      .error{margin:.25rem 0 0;color:#b00020;font-weight:600}\
      .terms{display:flex;gap:.5rem;align-items:flex-start;font-weight:normal}\
      .terms input{width:auto;margin-top:.35rem}\
      .summary{border:2px solid #b00020;border-radius:.25rem;padding:.75rem 1rem;margin-bottom:1rem}\
      .summary h2{font-size:1.1rem;margin:0}\
      .summary a{color:#b00020}\
      button{margin-top:1.5rem;padding:.6rem 1.4rem;font:inherit;font-weight:600;color:#fff;\
      background:#0b57d0;border:0;border-radius:.25rem;cursor:pointer}\
      button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #f9a825;\
      outline-offset:2px}\
      a{color:#0b57d0}""";
  /**
   * Gives the form its one-time submission token when the page came without one (the pre-rendered GET page is
   * the same bytes for everyone), and a fresh one when the browser shows the page again from its back-forward
   * cache. Pages without a form (the confirmation) skip it. Without JavaScript the form still works; it just has no token.
   */
  public static final String SCRIPT = """
      (function(){var f=document.getElementById("submission");if(!f){return;}\
      function fresh(){var b=new Uint8Array(16),t="";crypto.getRandomValues(b);\
      for(var i=0;i<b.length;i++){t+=(b[i]+256).toString(16).slice(1);}f.value=t;}\
      if(!f.value){fresh();}\
      window.addEventListener("pageshow",function(e){if(e.persisted){fresh();}});})();""";
  /**
   * The pages' Content-Security-Policy: nothing but this origin's form target, the inline style and script
   * above by hash, and no framing by anyone.
   */
  public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; style-src '" + sha256(STYLE)
      + "'; script-src '" + sha256(SCRIPT) + "'; img-src 'self'; form-action 'self'; frame-ancestors 'none';"
      + " base-uri 'none'";

  private static final TemplateEngine ENGINE = TemplateEngine.createPrecompiled(null, ContentType.Html,
      Pages.class.getClassLoader(), "dev.registerservice.pages.jte");

  private Pages() {
  }

  /** The registration form. */
  public static byte[] form(FormView form) {
    return render("form.jte", Map.of("form", form));
  }

  /** The confirmation page; {@code username} may be null (then it greets nobody by name). */
  public static byte[] registered(String username) {
    Utf8ByteOutput out = new Utf8ByteOutput();
    ENGINE.render("registered.jte", new RegisteredView(username), out);
    return out.toByteArray();
  }

  /** The confirmation page's model. */
  public record RegisteredView(String username) {
  }

  private static byte[] render(String template, Map<String, Object> params) {
    Utf8ByteOutput out = new Utf8ByteOutput();
    ENGINE.render(template, params, out);
    return out.toByteArray();
  }

  private static String sha256(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return "sha256-" + Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
