package dev.fedgrid.api.strategy;

import dev.fedgrid.api.model.Parameters;
import java.util.Map;
import java.util.Optional;

/**
 * How a job combines the nodes' updates into the next global model; the same code runs on the
 * gateway and in the simulator.
 *
 * <p>A strategy instance belongs to one job. It may keep server-side state across rounds (momentum,
 * moment estimates); {@link #state()} exports it for checkpoints and {@link #restore(Map)} brings
 * it back after a restart, so a resumed job continues exactly where it stopped.
 *
 * <p>Not thread-safe: a job drives its strategy from one thread at a time.
 */
public interface Strategy {
  /** The strategy's name, as in {@link StrategyConfig#name()}. */
  String name();

  /** The proximal coefficient nodes add to their local loss in this strategy (0 for none). */
  default double proximalMu() {
    return 0.0;
  }

  /**
   * Starts aggregating round {@code round} (1-based) whose nodes started from {@code global}.
   */
  RoundAggregation openRound(int round, Parameters global);

  /**
   * Starts aggregating round {@code round} (1-based), knowing how many updates the round expects:
   * the number of nodes given a fit task, or with Poisson sampling at rate {@code q} from {@code N}
   * eligible nodes the expectation {@code q N}, which need not be a whole number. Strategies whose
   * result depends on that number rather than on the updates that actually arrive (DP-FedAvg divides
   * by it, so that a dropped or unsampled node does not change the scale of the noise or reveal
   * itself) override this; the others ignore it.
   *
   * @param expectedUpdates the nodes expected to train this round, greater than 0
   */
  default RoundAggregation openRound(int round, Parameters global, double expectedUpdates) {
    return openRound(round, global);
  }

  /**
   * What this strategy can aggregate from secure aggregation, which releases only the sum of the
   * updates; empty (the default) for strategies that need every individual update (the robust ones,
   * asynchronous ones). A strategy that answers here accepts {@link RoundAggregation#acceptSecureSum}
   * in the rounds it opens.
   */
  default Optional<SecureInput> secureInput() {
    return Optional.empty();
  }

  /** The server-side state to checkpoint, as named flat arrays; empty when stateless. */
  default Map<String, float[]> state() {
    return Map.of();
  }

  /** Restores state exported by {@link #state()}. */
  default void restore(Map<String, float[]> state) {}
}
