package dev.registerservice.transport.http1;

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
  /** What an IP literal's brackets may hold: hex digits, ":" and "." (IPv6, IPvFuture), and a reg-name's characters. */
  private static final boolean[] IP_LITERAL = new boolean[256];

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
    for (int c = 0; c < 256; c++) {
      IP_LITERAL[c] = REG_NAME[c] || c == ':';
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

  static boolean isSpOrTab(int b) {
    return b == ' ' || b == '\t';
  }

  static boolean isDigit(int b) {
    return b >= '0' && b <= '9';
  }

  /** The value of a HEXDIG (a byte or a char), or -1. */
  static int hexValue(int b) {
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
   * send unescaped, {@code | ^ [ ] { } ` \}, are let through.) Takes the strings Netty made of the
   * request line's words, so the check allocates nothing of its own.
   */
  static boolean isRequestTarget(CharSequence target, String method) {
    int end = target.length();
    if (end == 0) {
      return false;
    }
    char first = target.charAt(0);
    if (first == '/') {
      return span(target, 0, end, PATH_QUERY) == end;
    }
    if (first == '*') {
      return end == 1 && "OPTIONS".equals(method);
    }
    if ("CONNECT".equals(method)) {
      return isAuthority(target, 0, end, true);
    }
    // absolute-form: scheme ":" "//" authority path-abempty [ "?" query ]
    if (!(first >= 'a' && first <= 'z' || first >= 'A' && first <= 'Z')) {
      return false;
    }
    int i = 0;
    while (i < end && in(SCHEME, target.charAt(i))) {
      i++;
    }
    if (end - i < 3 || target.charAt(i) != ':' || target.charAt(i + 1) != '/' || target.charAt(i + 2) != '/') {
      return false;
    }
    int authorityStart = i + 3;
    int authorityEnd = authorityStart;
    while (authorityEnd < end && target.charAt(authorityEnd) != '/' && target.charAt(authorityEnd) != '?') {
      authorityEnd++;
    }
    return isAuthority(target, authorityStart, authorityEnd, false)
        && span(target, authorityEnd, end, PATH_QUERY) == end;
  }

  /**
   * A Host field value (RFC 9112 section 3.2, RFC 3986 section 3.2.2): empty, or uri-host [ ":" port ].
   * {@code a b} and {@code a, b} are not hosts.
   */
  static boolean isHostHeader(CharSequence value) {
    int length = value.length();
    return length == 0 || isAuthority(value, 0, length, false);
  }

  /**
   * host [ ":" port ] with a non-empty host (an IP literal in brackets, or a reg-name); no userinfo ("@" is not
   * a host character). The one authority parser: the request target's and the Host field's.
   */
  private static boolean isAuthority(CharSequence s, int start, int end, boolean portRequired) {
    int i = start;
    if (i < end && s.charAt(i) == '[') {
      for (i++; i < end && s.charAt(i) != ']'; i++) {
        if (!in(IP_LITERAL, s.charAt(i))) {
          return false;
        }
      }
      if (i == end || i == start + 1) {
        return false;
      }
      i++;
    } else {
      i = span(s, i, end, REG_NAME);
      if (i == start) {
        return false;
      }
    }
    if (i == end) {
      return !portRequired;
    }
    if (s.charAt(i) != ':' || portRequired && i + 1 == end) {
      return false;
    }
    for (i++; i < end; i++) {
      if (!isDigit(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Where the run of {@code allowed} characters and complete percent-escapes starting at {@code i} ends: at
   * {@code end}, or at the first other character (a broken escape stops it at its "%").
   */
  private static int span(CharSequence s, int i, int end, boolean[] allowed) {
    while (i < end) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= end || hexValue(s.charAt(i + 1)) < 0 || hexValue(s.charAt(i + 2)) < 0) {
          return i;
        }
        i += 3;
      } else if (in(allowed, c)) {
        i++;
      } else {
        return i;
      }
    }
    return end;
  }

  private static boolean in(boolean[] table, char c) {
    return c < table.length && table[c];
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
