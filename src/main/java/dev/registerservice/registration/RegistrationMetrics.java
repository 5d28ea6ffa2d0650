package dev.registerservice.registration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/** {@code registrations_total{outcome}}: every POST /user/register, by how it ended; all outcomes registered at start. */
public final class RegistrationMetrics {
  private final Map<Outcome, Counter> outcomes = new EnumMap<>(Outcome.class);

  public RegistrationMetrics(MeterRegistry registry) {
    for (Outcome outcome : Outcome.values()) {
      outcomes.put(outcome, Counter.builder("registrations")
          .description("POST /user/register requests by outcome")
          .tag("outcome", outcome.label())
          .register(registry));
    }
  }

  public void count(Outcome outcome) {
    outcomes.get(outcome).increment();
  }
}
