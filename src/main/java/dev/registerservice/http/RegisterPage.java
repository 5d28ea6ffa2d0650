package dev.registerservice.http;

import dev.registerservice.config.ConfigException;
import dev.registerservice.config.Setting;
import dev.registerservice.internal.Internals;
import dev.registerservice.pages.FormView;
import dev.registerservice.pages.Pages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The registration page, rendered once at start from the form template ({@link Pages#form}) into one direct buffer and cut into chunk-sized slices
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
  private static final byte[] BODY_END = "</body>".getBytes(StandardCharsets.US_ASCII);

  private final Buffer[] chunks;
  private final int length;

  private RegisterPage(Buffer[] chunks, int length) {
    this.chunks = chunks;
    this.length = length;
  }

  /** Renders the page at {@code bodyBytes} bytes, sliced into {@code chunkSize} pieces (the last may be shorter). */
  public static RegisterPage render(int bodyBytes, int chunkSize) {
    byte[] html = Pages.form(FormView.blank());
    int split = lastIndexOf(html, BODY_END);
    int minimum = html.length;
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
    // The padding goes just before </body>, so the document stays complete and valid at any size.
    page.writeBytes(html, 0, split);
    writePadding(page, bodyBytes - minimum);
    page.writeBytes(html, split, html.length - split);
    Buffer[] chunks = new Buffer[(int) chunkCount];
    for (int i = 0; i < chunks.length; i++) {
      int offset = i * chunkSize;
      chunks[i] = Internals.sharedSlice(page, offset, Math.min(chunkSize, bodyBytes - offset));
    }
    return new RegisterPage(chunks, bodyBytes);
  }

  private static int lastIndexOf(byte[] bytes, byte[] part) {
    for (int i = bytes.length - part.length; i >= 0; i--) {
      if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
        return i;
      }
    }
    throw new IllegalStateException("the form template has no </body>");
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
}
