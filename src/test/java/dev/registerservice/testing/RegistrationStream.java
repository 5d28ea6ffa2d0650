package dev.registerservice.testing;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A steady stream of JSON registrations, one every {@code periodMillis} whatever the answers take, each with
 * a fresh username; every answer is kept with its status, Retry-After and latency, for the test to judge.
 */
public final class RegistrationStream implements AutoCloseable {
  /** One registration and how it was answered; status 0 if the client itself failed. */
  public record Answer(String username, long sentNanos, long latencyNanos, int status, String retryAfter,
      String body) {
    public double latencySeconds() {
      return latencyNanos / 1e9;
    }

    /** A 503 whose commit went unanswered: stored or not, a retry must tell. */
    public boolean unconfirmed() {
      return status == 503 && body != null && body.contains("did not confirm");
    }
  }

  private final int port;
  private final long periodMillis;
  private final String prefix;
  private final List<CompletableFuture<Answer>> sent = new ArrayList<>();
  private final Thread sender;
  private volatile boolean stopped;

  public RegistrationStream(int port, int perSecond, String prefix) {
    this.port = port;
    this.periodMillis = 1000 / perSecond;
    this.prefix = prefix;
    this.sender = new Thread(this::send, "registration-stream");
    this.sender.setDaemon(true);
    this.sender.start();
  }

  private void send() {
    long next = System.nanoTime();
    while (!stopped) {
      String name = Registrations.uniqueName(prefix);
      long start = System.nanoTime();
      CompletableFuture<Answer> answer = Registrations.postJsonAsync(port, Registrations.valid(name))
          .handle((response, failure) -> answer(name, start, response));
      synchronized (sent) {
        sent.add(answer);
      }
      next += TimeUnit.MILLISECONDS.toNanos(periodMillis);
      long sleep = next - System.nanoTime();
      if (sleep > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(sleep);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private static Answer answer(String name, long start, HttpResponse<String> response) {
    long latency = System.nanoTime() - start;
    return response == null ? new Answer(name, start, latency, 0, null, null)
        : new Answer(name, start, latency, response.statusCode(),
            response.headers().firstValue("retry-after").orElse(null), response.body());
  }

  /** The answers so far that have arrived. */
  public List<Answer> answered() {
    synchronized (sent) {
      return sent.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join).toList();
    }
  }

  /** Stops sending and waits for every answer (each request has the client's own 120 s timeout). */
  public List<Answer> stop() throws Exception {
    stopped = true;
    sender.join(10_000);
    List<Answer> all = new ArrayList<>();
    synchronized (sent) {
      for (CompletableFuture<Answer> answer : sent) {
        all.add(answer.get(150, TimeUnit.SECONDS));
      }
    }
    return all;
  }

  @Override
  public void close() {
    stopped = true;
  }
}
