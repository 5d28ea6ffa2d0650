package dev.registerservice.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code promtool check metrics} (Debian's prometheus package; the test command installs it). */
public final class Promtool {
  private Promtool() {
  }

  /** The outcome: exit code and what promtool printed. */
  public record Result(int exitCode, String output) {
  }

  public static Result checkMetrics(String exposition) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    process.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("promtool did not finish");
    }
    return new Result(process.exitValue(), output);
  }
}
