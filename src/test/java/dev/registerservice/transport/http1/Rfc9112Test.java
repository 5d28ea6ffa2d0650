package dev.registerservice.transport.http1;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one authority parser, as the request target and the Host field use it. */
class Rfc9112Test {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "h|true", "h:80|true", "h:|true", "''|true", "[::1]:8080|true", "%41b.example|true",
      "h%4|false", "h%zz|false", "[::1%25eth0]|false", "[]|false", "[::1|false", ":80|false", "h:8a|false",
      "a b|false", "'a, b'|false", "u@h|false", "h\u00e9|false",
  })
  void hostField(String value, boolean valid) {
    assertThat(Rfc9112.isHostHeader(value)).isEqualTo(valid);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "GET|/a%20b?q=1|true", "GET|/a%2|false", "GET|/a b|false", "OPTIONS|*|true", "GET|*|false",
      "CONNECT|h:443|true", "CONNECT|h|false", "CONNECT|h:|false", "CONNECT|[::1]:443|true",
      "GET|http://h/x|true", "GET|http://h:8080?q|true", "GET|http://[::1]/|true", "GET|http://|false",
      "GET|http:///x|false", "GET|http://u@h/|false", "GET|http://h%4/|false", "GET|1http://h/|false",
  })
  void requestTarget(String method, String target, boolean valid) {
    assertThat(Rfc9112.isRequestTarget(target, method)).isEqualTo(valid);
  }
}
