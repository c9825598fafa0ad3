package dev.fedgrid.core.strategy;

import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.Strategy;
import dev.fedgrid.api.strategy.StrategyConfig;

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
  private final int minimumUpdates;

  /** @param config the job's strategy; its {@link StrategyConfig#minimumUpdates()} is what a round needs */
  RobustStrategy(StrategyConfig config, ParameterLayout layout, RobustRule rule) {
    this.name = config.name();
    this.layout = layout;
    this.rule = rule;
    this.minimumUpdates = config.minimumUpdates();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public RoundAggregation openRound(int round, Parameters global) {
    return new RobustRound(name, layout, round, global, rule, minimumUpdates);
  }
}
