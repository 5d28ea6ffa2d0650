package dev.registerservice.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A registration body's fields, from a form ({@code application/x-www-form-urlencoded}) or a JSON object, both
 * UTF-8. Nothing is decoded lossily: a form value whose bytes are not valid UTF-8 becomes a lone surrogate
 * (which valid UTF-8 can never produce), exactly as a JSON {@code \ud800} does, so that the rules refuse both
 * the same way instead of two different passwords hashing the same.
 */
final class RegistrationBody {
  static final String FORM = "application/x-www-form-urlencoded";
  static final String JSON = "application/json";
  /** Stands for bytes that are not UTF-8: a lone high surrogate, never the result of decoding valid UTF-8. */
  static final String UNDECODABLE = "\ud800";
  private static final int MAX_FORM_FIELDS = 32;

  private RegistrationBody() {
  }

  /** The media type of a Content-Type value, lower-cased, without parameters. */
  static String mediaType(String contentType) {
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  /** True unless a charset parameter names something other than UTF-8. */
  static boolean utf8(String contentType) {
    for (String parameter : contentType.split(";")) {
      String[] pair = parameter.trim().split("=", 2);
      if (pair.length == 2 && pair[0].trim().equalsIgnoreCase("charset")) {
        String charset = pair[1].trim().replace("\"", "");
        return charset.equalsIgnoreCase("utf-8") || charset.equalsIgnoreCase("utf8");
      }
    }
    return true;
  }

  /** The fields of a JSON object, or null if the body is not one. */
  static Map<String, Object> json(Buffer body) {
    try {
      return new JsonObject(body).getMap();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The fields of a form (the first value of each name; fields past the 32nd ignored), or null if malformed. */
  static Map<String, Object> form(Buffer body) {
    byte[] bytes = body.getBytes();
    Map<String, Object> fields = new HashMap<>();
    int count = 0;
    int start = 0;
    while (start <= bytes.length) {
      int end = indexOf(bytes, (byte) '&', start);
      if (end > start) {
        if (++count > MAX_FORM_FIELDS) {
          break;
        }
        int equals = indexOf(bytes, (byte) '=', start);
        int nameEnd = Math.min(equals, end);
        String name = decode(bytes, start, nameEnd);
        String value = nameEnd < end ? decode(bytes, nameEnd + 1, end) : "";
        if (name == null || value == null) {
          return null;
        }
        fields.putIfAbsent(name, value);
      }
      start = end + 1;
    }
    return fields;
  }

  private static int indexOf(byte[] bytes, byte wanted, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == wanted) {
        return i;
      }
    }
    return bytes.length;
  }

  /** Percent- and plus-decodes, then decodes UTF-8 strictly; null for a malformed escape. */
  private static String decode(byte[] bytes, int from, int to) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
    for (int i = from; i < to; i++) {
      byte b = bytes[i];
      if (b == '+') {
        out.write(' ');
      } else if (b == '%') {
        if (i + 2 >= to) {
          return null;
        }
        int high = Character.digit(bytes[i + 1], 16);
        int low = Character.digit(bytes[i + 2], 16);
        if (high < 0 || low < 0) {
          return null;
        }
        out.write(high << 4 | low);
        i += 2;
      } else {
        out.write(b);
      }
    }
    CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return strict.decode(ByteBuffer.wrap(out.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      return UNDECODABLE;
    }
  }
}
