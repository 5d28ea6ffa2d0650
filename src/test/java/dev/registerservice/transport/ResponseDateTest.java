package dev.registerservice.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Date header's per-loop cache: one formatting per second at most, in IMF-fixdate form. */
class ResponseDateTest {

  @Test
  void theDateIsFormattedAtMostOncePerSecond() {
    long start = System.currentTimeMillis() / 1000;
    List<AsciiString> distinct = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      AsciiString now = ResponseDate.now();
      if (distinct.isEmpty() || distinct.get(distinct.size() - 1) != now) {
        distinct.add(now);
      }
    }
    long seconds = System.currentTimeMillis() / 1000 - start + 1;
    assertThat((long) distinct.size()).isLessThanOrEqualTo(seconds);
    assertThat(distinct.get(0).toString()).endsWith(" GMT");
  }
}
