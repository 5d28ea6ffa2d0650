package dev.registerservice.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** One real scrape of {@code /metrics}, parsed enough to read single series. */
public final class Scrape {
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(20))
      .build();

  private final String text;
  private final Map<String, Double> series = new TreeMap<>();

  private Scrape(String text) {
    this.text = text;
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
  }

  public static Scrape of(int managementPort) {
    try {
      HttpResponse<String> response = CLIENT.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/metrics"))
              .timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new AssertionError("/metrics answered " + response.statusCode());
      }
      return new Scrape(response.body());
    } catch (IOException e) {
      throw new AssertionError("scrape failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public String text() {
    return text;
  }

  /** The value of one series, written exactly as exported, e.g. {@code foo_total{a="b"}}; fails if absent. */
  public double value(String seriesName) {
    Double v = series.get(seriesName);
    if (v == null) {
      throw new AssertionError("no series " + seriesName + " in scrape");
    }
    return v;
  }

  /** Sum of every series of a metric name (all label sets) whose labels contain all of {@code labelParts}. */
  public double sum(String metric, String... labelParts) {
    double total = 0;
    boolean found = false;
    for (Map.Entry<String, Double> e : series.entrySet()) {
      String key = e.getKey();
      String name = key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
      if (!name.equals(metric)) {
        continue;
      }
      boolean match = true;
      for (String part : labelParts) {
        match &= key.contains(part);
      }
      if (match) {
        total += e.getValue();
        found = true;
      }
    }
    if (!found) {
      throw new AssertionError("no series of " + metric + " with " + String.join(",", labelParts));
    }
    return total;
  }

  public Map<String, Double> series() {
    return series;
  }

  /**
   * Whether every traffic loop's lag probe has ticked {@code ticks} more times in this scrape than in
   * {@code since}: stall attribution runs 200 ms after a freeze ends, so once each loop ticked (every 10 ms) a
   * hundred more times, a stall of the stretch between the two scrapes has been counted.
   */
  public boolean everyLoopTickedSince(Scrape since, int ticks) {
    List<String> loops = since.series().keySet().stream()
        .filter(series -> series.startsWith("eventloop_lag_seconds_count{")).toList();
    return !loops.isEmpty() && loops.stream().allMatch(loop -> value(loop) - since.value(loop) >= ticks);
  }
}
