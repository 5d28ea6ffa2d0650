package dev.registerservice.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Per-response meters of the streamed page: bytes queued for writing, and responses in flight. Aborts are
 * counted for every route by {@link AbortMetrics}.
 */
public final class ResponseMetrics implements MeterBinder {
  private final LongSupplier inFlight;
  private final LongAdder queuedBytes = new LongAdder();

  /** @param inFlight responses started and not yet ended, owned by the http layer */
  public ResponseMetrics(LongSupplier inFlight) {
    this.inFlight = inFlight;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("http.server.response.queued", queuedBytes, LongAdder::sum)
        .description("Bytes handed to write() whose writes have not completed yet, summed over responses")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("http.server.responses.in.flight", inFlight::getAsLong)
        .description("Responses started and not yet completed or aborted")
        .register(registry);
  }

  public void queued(long bytes) {
    queuedBytes.add(bytes);
  }
}
