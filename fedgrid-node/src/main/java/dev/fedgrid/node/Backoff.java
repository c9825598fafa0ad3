package dev.fedgrid.node;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential back-off with jitter for reconnecting to the gateway: the n-th consecutive failure
 * waits {@code min(max, initial * 2^(n-1))}, then moves that by a random share of up to {@code
 * jitter} in either direction, so that many nodes cut off together do not return in lock-step.
 * Not thread-safe; each loop keeps its own.
 */
final class Backoff {
  private final Duration initial;
  private final Duration max;
  private final double jitter;
  private final RandomGenerator random;
  private int failures;

  Backoff(Duration initial, Duration max, double jitter, RandomGenerator random) {
    this.initial = initial;
    this.max = max;
    this.jitter = jitter;
    this.random = random;
  }

  /** The wait after one more failure. */
  Duration next() {
    failures = Math.min(failures + 1, 1_000);
    double delay = Math.min(max.toMillis(), initial.toMillis() * Math.pow(2, failures - 1));
    double factor = 1 + jitter * (2 * random.nextDouble() - 1);
    return Duration.ofMillis(Math.max(1, Math.round(delay * factor)));
  }

  /** Consecutive failures so far. */
  int failures() {
    return failures;
  }

  /** Starts over after a success. */
  void reset() {
    failures = 0;
  }
}
