package dev.fedgrid.gateway.jobs;

import java.time.Duration;
import java.util.Objects;

/**
 * Timing of the coordinator, checked when built.
 *
 * @param heartbeatInterval how often nodes are told to send heartbeats (default 5 s)
 * @param nodeTimeout silence after which a node counts as offline and its open tasks fail
 *     (default 20 s; at least twice the heartbeat interval)
 * @param maxPollWait longest a node's task poll is held open (default 30 s)
 * @param schedulerTick how often queued jobs are re-examined without a wake-up (default 1 s)
 */
public record CoordinatorOptions(
    Duration heartbeatInterval, Duration nodeTimeout, Duration maxPollWait, Duration schedulerTick) {
  public CoordinatorOptions {
    Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
    Objects.requireNonNull(nodeTimeout, "nodeTimeout");
    Objects.requireNonNull(maxPollWait, "maxPollWait");
    Objects.requireNonNull(schedulerTick, "schedulerTick");
    if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
      throw new IllegalArgumentException("heartbeatInterval must be positive, got " + heartbeatInterval);
    }
    if (nodeTimeout.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
      throw new IllegalArgumentException(
          "nodeTimeout " + nodeTimeout + " must be at least twice heartbeatInterval " + heartbeatInterval
              + ", or a single late heartbeat would mark a healthy node offline");
    }
    if (maxPollWait.isNegative() || maxPollWait.isZero() || schedulerTick.isNegative() || schedulerTick.isZero()) {
      throw new IllegalArgumentException("maxPollWait and schedulerTick must be positive");
    }
  }

  public static CoordinatorOptions defaults() {
    return new CoordinatorOptions(Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofSeconds(30), Duration.ofSeconds(1));
  }
}
