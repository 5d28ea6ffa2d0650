package dev.registerservice.internal;

/**
 * The character classes and small grammars of RFC 9112 / RFC 9110 / RFC 3986 that the strict decoder checks,
 * as table lookups and byte loops: no regex, no allocation, nothing a request pays for beyond one look per byte.
 */
final class Rfc9112 {
  private static final boolean[] TCHAR = new boolean[256];
  /** unreserved / sub-delims (RFC 3986): a reg-name's characters besides pct-encoded. */
  private static final boolean[] REG_NAME = new boolean[256];
  /** pchar plus "/" and "?": a path's or query's characters besides pct-encoded. */
  private static final boolean[] PATH_QUERY = new boolean[256];
  private static final boolean[] SCHEME = new boolean[256];

  static {
    for (char c = '0'; c <= '9'; c++) {
      mark(c, TCHAR, REG_NAME, PATH_QUERY, SCHEME);
    }
    for (char c = 'a'; c <= 'z'; c++) {
      mark(c, TCHAR, REG_NAME, PATH_QUERY, SCHEME);
      mark(Character.toUpperCase(c), TCHAR, REG_NAME, PATH_QUERY, SCHEME);
    }
    for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
      mark(c, TCHAR);
    }
    for (char c : "-._~!$&'()*+,;=".toCharArray()) {
      mark(c, REG_NAME, PATH_QUERY);
    }
    for (char c : ":@/?".toCharArray()) {
      mark(c, PATH_QUERY);
    }
    // Not in RFC 3986, but sent unescaped by browsers (the WHATWG URL standard leaves them as they are in a
    // query, some in a path too): refusing them would refuse real links. Quote, <, >, space, controls,
    // non-ASCII, "#" and broken percent-escapes stay refused; browsers never send those raw.
    for (char c : "|^[]{}`\\".toCharArray()) {
      mark(c, PATH_QUERY);
    }
    for (char c : "+-.".toCharArray()) {
      mark(c, SCHEME);
    }
  }

  private Rfc9112() {
  }

  private static void mark(char c, boolean[]... tables) {
    for (boolean[] table : tables) {
      table[c] = true;
    }
  }

  static boolean isTchar(byte b) {
    return TCHAR[b & 0xff];
  }

  static boolean isDigit(byte b) {
    return b >= '0' && b <= '9';
  }

  /** The value of a HEXDIG, or -1. */
  static int hexValue(byte b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    if (b >= 'a' && b <= 'f') {
      return b - 'a' + 10;
    }
    if (b >= 'A' && b <= 'F') {
      return b - 'A' + 10;
    }
    return -1;
  }

  /** qdtext: HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text. */
  static boolean isQdtext(byte b) {
    int c = b & 0xff;
    return c == '\t' || c == ' ' || c == 0x21 || c >= 0x23 && c <= 0x5b || c >= 0x5d && c <= 0x7e || c >= 0x80;
  }

  /**
   * A request-target (RFC 9112 section 3.2): origin-form ({@code /path?query}), absolute-form
   * ({@code scheme://authority/path?query}, without userinfo, RFC 9110 section 4.2.4), asterisk-form for
   * {@code OPTIONS} only, authority-form for {@code CONNECT} only. Percent-escapes must be complete;
   * no fragment, no space, quote, angle bracket, control or non-ASCII byte. (The few characters browsers
   * send unescaped, {@code | ^ [ ] { } ` \}, are let through.)
   */
  static boolean isRequestTarget(byte[] b, int start, int end, byte[] method, int methodStart, int methodEnd) {
    if (start >= end) {
      return false;
    }
    byte first = b[start];
    if (first == '/') {
      return isPathQuery(b, start, end);
    }
    if (first == '*') {
      return end - start == 1 && is(method, methodStart, methodEnd, "OPTIONS");
    }
    if (is(method, methodStart, methodEnd, "CONNECT")) {
      return isAuthority(b, start, end, true);
    }
    // absolute-form: scheme ":" "//" authority path-abempty [ "?" query ]
    int i = start;
    if (!(first >= 'a' && first <= 'z' || first >= 'A' && first <= 'Z')) {
      return false;
    }
    while (i < end && SCHEME[b[i] & 0xff]) {
      i++;
    }
    if (end - i < 3 || b[i] != ':' || b[i + 1] != '/' || b[i + 2] != '/') {
      return false;
    }
    int authorityStart = i + 3;
    int authorityEnd = authorityStart;
    while (authorityEnd < end && b[authorityEnd] != '/' && b[authorityEnd] != '?') {
      authorityEnd++;
    }
    if (!isAuthority(b, authorityStart, authorityEnd, false)) {
      return false;
    }
    return isPathQuery(b, authorityEnd, end);
  }

  private static boolean is(byte[] b, int start, int end, String text) {
    if (end - start != text.length()) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      if (b[start + i] != text.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isPathQuery(byte[] b, int start, int end) {
    for (int i = start; i < end; i++) {
      byte c = b[i];
      if (c == '%') {
        if (i + 2 >= end || hexValue(b[i + 1]) < 0 || hexValue(b[i + 2]) < 0) {
          return false;
        }
        i += 2;
      } else if (!PATH_QUERY[c & 0xff]) {
        return false;
      }
    }
    return true;
  }

  /** host [ ":" port ] with a non-empty host; no userinfo ("@" is not a host character). */
  private static boolean isAuthority(byte[] b, int start, int end, boolean portRequired) {
    int i = start;
    if (i < end && b[i] == '[') {
      while (i < end && b[i] != ']') {
        i++;
      }
      if (i == end || !isIpLiteral(b, start + 1, i)) {
        return false;
      }
      i++;
    } else {
      while (i < end && b[i] != ':') {
        byte c = b[i];
        if (c == '%') {
          if (i + 2 >= end || hexValue(b[i + 1]) < 0 || hexValue(b[i + 2]) < 0) {
            return false;
          }
          i += 2;
        } else if (!REG_NAME[c & 0xff]) {
          return false;
        }
        i++;
      }
      if (i == start) {
        return false;
      }
    }
    if (i == end) {
      return !portRequired;
    }
    if (b[i] != ':') {
      return false;
    }
    if (portRequired && i + 1 == end) {
      return false;
    }
    for (i++; i < end; i++) {
      if (!isDigit(b[i])) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIpLiteral(byte[] b, int start, int end) {
    if (start >= end) {
      return false;
    }
    for (int i = start; i < end; i++) {
      byte c = b[i];
      if (!(hexValue(c) >= 0 || c == ':' || c == '.' || REG_NAME[c & 0xff])) {
        return false;
      }
    }
    return true;
  }

  /**
   * A Host field value (RFC 9112 section 3.2, RFC 3986 section 3.2.2): empty, or uri-host [ ":" port ].
   * {@code a b} and {@code a, b} are not hosts.
   */
  static boolean isHostHeader(CharSequence value) {
    int length = value.length();
    if (length == 0) {
      return true;
    }
    for (int i = 0; i < length; i++) {
      if (value.charAt(i) > 0x7e) {
        return false;
      }
    }
    return isHostChars(value);
  }

  /** The same check on a String, char by char (Netty hands header values over as Strings). */
  private static boolean isHostChars(CharSequence v) {
    int end = v.length();
    int i = 0;
    if (v.charAt(0) == '[') {
      while (i < end && v.charAt(i) != ']') {
        char c = v.charAt(i);
        if (i > 0 && !(hexValue((byte) c) >= 0 || c == ':' || c == '.' || REG_NAME[c])) {
          return false;
        }
        i++;
      }
      if (i == end || i == 1) {
        return false;
      }
      i++;
    } else {
      while (i < end && v.charAt(i) != ':') {
        char c = v.charAt(i);
        if (c == '%') {
          if (i + 2 >= end || hexValue((byte) v.charAt(i + 1)) < 0 || hexValue((byte) v.charAt(i + 2)) < 0) {
            return false;
          }
          i += 2;
        } else if (!REG_NAME[c]) {
          return false;
        }
        i++;
      }
      if (i == 0) {
        return false;
      }
    }
    if (i == end) {
      return true;
    }
    if (v.charAt(i) != ':') {
      return false;
    }
    for (i++; i < end; i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** A transfer-coding element other than chunked: token *( OWS ";" OWS token "=" ( token / quoted-string ) ). */
  static boolean isCoding(CharSequence v, int from, int to) {
    int i = from;
    while (i < to && v.charAt(i) < 0x80 && TCHAR[v.charAt(i)]) {
      i++;
    }
    if (i == from) {
      return false;
    }
    // Parameters are rare and never make a coding we implement: a coarse check of their characters suffices.
    for (; i < to; i++) {
      char c = v.charAt(i);
      if (c >= 0x80 || !(TCHAR[c] || c == ';' || c == '=' || c == ' ' || c == '\t' || c == '"')) {
        return false;
      }
    }
    return true;
  }
}
