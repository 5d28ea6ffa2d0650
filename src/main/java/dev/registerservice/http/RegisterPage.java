package dev.registerservice.http;

import dev.registerservice.config.ConfigException;
import dev.registerservice.config.Setting;
import dev.registerservice.internal.Internals;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;

/**
 * The registration page, rendered once at start into one direct buffer and cut into chunk-sized slices
 * that every response shares. Nothing about it is computed per request.
 *
 * <p>The form is followed by padding (an HTML comment) up to the configured body size, so the default
 * page is exactly 16 KiB and goes out as four 4 KiB chunks, as the original C server's did.
 */
public final class RegisterPage {
  /** Bounds the pre-built slice array (64 MiB in 4 KiB chunks is 16,384 slices). */
  private static final int MAX_CHUNKS = 1 << 20;
  private static final String PADDING_OPEN = "<!-- padding up to " + Setting.BODY_BYTES.env() + " -->\n<!--";
  private static final String PADDING_CLOSE = "-->\n";
  private static final String TAIL = "</body>\n</html>\n";

  private final Buffer[] chunks;
  private final int length;

  private RegisterPage(Buffer[] chunks, int length) {
    this.chunks = chunks;
    this.length = length;
  }

  /** Renders the page at {@code bodyBytes} bytes, sliced into {@code chunkSize} pieces (the last may be shorter). */
  public static RegisterPage render(int bodyBytes, int chunkSize) {
    byte[] form = formHtml().getBytes(StandardCharsets.UTF_8);
    int minimum = form.length + TAIL.length();
    if (bodyBytes < minimum) {
      throw new ConfigException("invalid configuration: " + Setting.BODY_BYTES.env() + " = '" + bodyBytes
          + "': must be at least " + minimum + " (the page itself)");
    }
    long chunkCount = (bodyBytes + (long) chunkSize - 1) / chunkSize;
    if (chunkCount > MAX_CHUNKS) {
      throw new ConfigException("invalid configuration: " + Setting.CHUNK_SIZE.env() + " = '" + chunkSize
          + "': " + bodyBytes + " body bytes would make " + chunkCount + " chunks; at most " + MAX_CHUNKS);
    }
    ByteBuf page = Unpooled.directBuffer(bodyBytes, bodyBytes);
    page.writeBytes(form);
    writePadding(page, bodyBytes - minimum);
    page.writeBytes(TAIL.getBytes(StandardCharsets.US_ASCII));
    Buffer[] chunks = new Buffer[(int) chunkCount];
    for (int i = 0; i < chunks.length; i++) {
      int offset = i * chunkSize;
      chunks[i] = Internals.sharedSlice(page, offset, Math.min(chunkSize, bodyBytes - offset));
    }
    return new RegisterPage(chunks, bodyBytes);
  }

  private static void writePadding(ByteBuf page, int padding) {
    int framing = PADDING_OPEN.length() + PADDING_CLOSE.length();
    if (padding < framing) {
      page.writeCharSequence(" ".repeat(padding), StandardCharsets.US_ASCII);
      return;
    }
    page.writeCharSequence(PADDING_OPEN, StandardCharsets.US_ASCII);
    int filler = padding - framing;
    byte[] line = new byte[64];
    Arrays.fill(line, (byte) ' ');
    line[line.length - 1] = '\n';
    while (filler >= line.length) {
      page.writeBytes(line);
      filler -= line.length;
    }
    page.writeBytes(line, 0, filler);
    page.writeCharSequence(PADDING_CLOSE, StandardCharsets.US_ASCII);
  }

  /** The chunk slices, in order; shared by all responses (Vert.x writes a fresh view of each). */
  Buffer[] chunks() {
    return chunks;
  }

  public int length() {
    return length;
  }

  /** The whole page as bytes, as clients should receive it. */
  public byte[] bytes() {
    Buffer all = Buffer.buffer(length);
    for (Buffer chunk : chunks) {
      all.appendBuffer(chunk);
    }
    return all.getBytes();
  }

  /** The document head shared by every HTML page of the service (the registration form and its answers). */
  static final String HEAD = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Create your account</title>
          <style>
            body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; }
            label { display: block; margin-top: 1rem; font-weight: 600; }
            input, select { width: 100%; padding: .5rem; box-sizing: border-box; }
            .terms { font-weight: normal; } .terms input { width: auto; }
            .error { color: #b00020; margin: .25rem 0 0; }
            button { margin-top: 1.5rem; padding: .6rem 1.2rem; }
          </style>
        </head>
        """;

  static String formHtml() {
    return HEAD + """
        <body>
          <h1>Create your account</h1>
          <form method="post" action="/user/register" accept-charset="utf-8">
            <label for="username">Username</label>
            <input id="username" name="username" type="text" required minlength="3" maxlength="32"
                   pattern="[A-Za-z0-9_.-]{3,32}" autocomplete="username">
            <label for="email">Email</label>
            <input id="email" name="email" type="email" required autocomplete="email">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" required minlength="12" autocomplete="new-password">
            <label for="country">Country</label>
            <select id="country" name="country" required>
              <option value="">Choose your country</option>
        {{countries}}      </select>
            <label class="terms"><input type="checkbox" name="terms" value="accepted" required>
              I accept the terms of service and the privacy policy.</label>
            <button type="submit">Register</button>
          </form>
        """.replace("{{countries}}", countryOptions());
  }

  /** The country select's options, one per ISO 3166 code, sorted by English name; also used by RegistrationPages. */
  static String countryOptions() {
    StringBuilder countries = new StringBuilder(12_000);
    String[] codes = Locale.getISOCountries();
    Arrays.sort(codes, Comparator.comparing(code -> countryName(code)));
    for (String code : codes) {
      countries.append("            <option value=\"").append(code).append("\">")
          .append(escape(countryName(code))).append("</option>\n");
    }
    return countries.toString();
  }

  private static String countryName(String code) {
    return new Locale("", code).getDisplayCountry(Locale.ENGLISH);
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
