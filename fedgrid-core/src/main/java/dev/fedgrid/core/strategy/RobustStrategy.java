package dev.fedgrid.core.strategy;

import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.Strategy;

/**
 * FedMedian, FedTrimmedAvg, Krum, Multi-Krum and Bulyan: the new model is a {@link RobustRule}
 * applied to all of a round's updates (see {@link RobustRound} for why they are buffered).
 * Stateless, no proximal term; not thread-safe by contract of {@link Strategy} (though it has
 * nothing to protect).
 */
final class RobustStrategy implements Strategy {
  private final String name;
  private final ParameterLayout layout;
  private final RobustRule rule;

  RobustStrategy(String name, ParameterLayout layout, RobustRule rule) {
    this.name = name;
    this.layout = layout;
    this.rule = rule;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public RoundAggregation openRound(int round, Parameters global) {
    return new RobustRound(name, layout, round, global, rule);
  }
}
