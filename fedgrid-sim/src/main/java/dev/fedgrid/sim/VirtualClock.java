package dev.fedgrid.sim;

import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The simulator's time: it stands still unless the simulation moves it, and only moves forward, so
 * a straggler's delay or a round's deadline costs no real time. Thread-safe.
 */
public final class VirtualClock implements InstantSource {
  private final AtomicReference<Instant> now;

  public VirtualClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  /** Moves the clock to {@code t} unless it is already later. */
  public void advanceTo(Instant t) {
    now.accumulateAndGet(t, (a, b) -> a.isBefore(b) ? b : a);
  }
}
