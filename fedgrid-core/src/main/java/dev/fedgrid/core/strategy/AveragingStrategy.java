package dev.fedgrid.core.strategy;

import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.SecureInput;
import dev.fedgrid.api.strategy.Strategy;
import java.util.Optional;

/**
 * FedAvg and FedProx: the new model is the weighted mean of the updates. FedProx differs only on
 * the nodes, which add {@code mu/2 ||w - w_global||^2} to their loss. Stateless; not thread-safe
 * by contract of {@link Strategy} (though it has nothing to protect).
 */
final class AveragingStrategy implements Strategy {
  private final String name;
  private final ParameterLayout layout;
  private final double mu;

  AveragingStrategy(String name, ParameterLayout layout, double mu) {
    this.name = name;
    this.layout = layout;
    this.mu = mu;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public double proximalMu() {
    return mu;
  }

  /** The weighted mean is all this strategy needs, so it can run under secure aggregation. */
  @Override
  public Optional<SecureInput> secureInput() {
    return Optional.of(new SecureInput.WeightedMean());
  }

  @Override
  public RoundAggregation openRound(int round, Parameters global) {
    return new MeanRound(name, layout, round, global, (g, mean) -> mean);
  }
}
