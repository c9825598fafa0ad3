package dev.fedgrid.core.strategy;

import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.SecureInput;
import dev.fedgrid.api.strategy.Strategy;
import java.util.Optional;
import java.util.Map;

/**
 * FedAvgM, FedAdagrad, FedAdam and FedYogi: a {@link ServerOptimizer} applied to the pseudo-gradient
 * {@code mean - global} at the end of each round. Its state changes only when a round finishes
 * successfully. Not thread-safe.
 */
final class OptimizerStrategy implements Strategy {
  private final String name;
  private final ParameterLayout layout;
  private final ServerOptimizer optimizer;

  OptimizerStrategy(String name, ParameterLayout layout, ServerOptimizer optimizer) {
    this.name = name;
    this.layout = layout;
    this.optimizer = optimizer;
    optimizer.reset(layout.size());
  }

  @Override
  public String name() {
    return name;
  }

  /** The weighted mean is all this strategy needs, so it can run under secure aggregation. */
  @Override
  public Optional<SecureInput> secureInput() {
    return Optional.of(new SecureInput.WeightedMean());
  }

  @Override
  public RoundAggregation openRound(int round, Parameters global) {
    return new MeanRound(name, layout, round, global, optimizer::step);
  }

  @Override
  public Map<String, float[]> state() {
    return optimizer.export();
  }

  /**
   * Restores what {@link #state()} exported; an empty map restores the initial (zero) state.
   *
   * @throws dev.fedgrid.api.InvalidRequestException with code {@code INVALID_STRATEGY_STATE} when
   *     names, lengths or values do not fit this strategy; the state is then unchanged
   */
  @Override
  public void restore(Map<String, float[]> state) {
    if (state.isEmpty()) {
      optimizer.reset(layout.size());
    } else {
      optimizer.restore(name, layout.size(), state);
    }
  }
}
