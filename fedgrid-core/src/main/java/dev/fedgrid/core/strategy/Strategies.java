package dev.fedgrid.core.strategy;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import dev.fedgrid.api.strategy.Strategy;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.core.dp.CentralDp;
import java.util.Objects;

/**
 * Builds the {@link Strategy} for a job from its {@link StrategyConfig}; the one entry point the
 * gateway and the simulator share.
 *
 * <p>Every strategy but the robust ones first takes the mean of the nodes' parameters weighted by
 * their number of examples (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks
 * from Decentralized Data"), streamed through a {@link dev.fedgrid.core.aggregate.WeightedSum} so
 * that a round holds one model-sized accumulator whatever the number of nodes. FedAvg and FedProx
 * take that mean as the new model. FedAvgM, FedAdagrad, FedAdam and FedYogi treat {@code delta =
 * mean - global} as a pseudo-gradient for a server optimizer, as in Reddi et al. 2021, "Adaptive
 * Federated Optimization" (ICLR), Algorithm 2, and as Flower implements them, without bias
 * correction:
 *
 * <pre>
 *   FedAvgM    v = momentum v + delta;                          w = w + serverLr v      (Hsu et al. 2019)
 *   FedAdagrad v = v + delta^2;                                 w = w + eta delta / (sqrt(v) + tau)
 *   FedAdam    m = b1 m + (1 - b1) delta; v = b2 v + (1 - b2) delta^2;
 *                                                               w = w + eta m / (sqrt(v) + tau)
 *   FedYogi    m as FedAdam; v = v - (1 - b2) delta^2 sign(v - delta^2);
 *                                                               w = w + eta m / (sqrt(v) + tau)
 * </pre>
 *
 * with all operations element-wise and {@code m}, {@code v} starting at zero. The server state is
 * exported by {@link Strategy#state()} under the names {@code momentum} (FedAvgM), {@code v}
 * (FedAdagrad) and {@code m}, {@code v} (FedAdam, FedYogi); a strategy restored from it continues
 * exactly as the original would have.
 *
 * <p>The robust strategies are stateless and replace the mean by a rule over all updates, buffered
 * for the round ({@link RobustRound}); see {@link RobustRule} for each rule and its paper:
 *
 * <pre>
 *   FedMedian     per coordinate, the median of the n values (mean of the two middle ones for even n)
 *   FedTrimmedAvg per coordinate, the mean of the values left after dropping floor(beta n) at each end
 *   Krum          the update with the least sum of squared distances to its n - f - 2 nearest others
 *   Multi-Krum    the mean, weighted by examples, of the m (default n - f) updates of least Krum score
 *   Bulyan        Krum picks n - 2f updates one by one; per coordinate, the mean of the n - 4f picked
 *                 values closest to their median
 * </pre>
 *
 * Krum and Multi-Krum need {@code n > 2f + 2} updates and Bulyan {@code n >= 4f + 3}; a round with
 * fewer fails with {@code TOO_FEW_UPDATES_FOR_ROBUST_STRATEGY}. The median and trimmed mean ignore
 * the number of examples, since a Byzantine node could claim any number.
 *
 * <p>With {@link DifferentialPrivacy} FedAvg becomes central DP-FedAvg (McMahan et al. 2018; see
 * {@link CentralDp}): each node's difference from the global model is clipped, the differences are
 * summed unweighted, noised and divided by the expected number of updates of the round. Local DP
 * ({@link dev.fedgrid.core.dp.LocalDp}) noises the updates on the nodes, and any strategy may
 * aggregate them.
 *
 * <p>Thread-safe (stateless); the strategies it returns are not (see {@link Strategy}).
 */
public final class Strategies {
  private Strategies() {}

  /**
   * A new strategy instance for one job.
   *
   * @param config which strategy and its settings (already validated by its record)
   * @param layout the job's model layout; every round's global parameters and every update must
   *     have it, and server state is sized by it
   * @return a fresh strategy with empty server state
   */
  public static Strategy create(StrategyConfig config, ParameterLayout layout) {
    return create(config, null, layout);
  }

  /**
   * A new strategy instance for one job, with or without central differential privacy.
   *
   * @param config which strategy and its settings (already validated by its record)
   * @param privacy the job's differential privacy, or {@code null} for none; central DP only with
   *     FedAvg. Local DP is applied on the nodes, so the strategy is the plain one
   * @param layout the job's model layout
   * @return a fresh strategy with empty server state
   * @throws InvalidRequestException with code {@code INVALID_PRIVACY} when {@code privacy} is given
   *     central with a strategy other than FedAvg
   */
  public static Strategy create(StrategyConfig config, DifferentialPrivacy privacy, ParameterLayout layout) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(layout, "layout");
    if (privacy != null && privacy.mode() == PrivacyMode.CENTRAL) {
      if (!(config instanceof StrategyConfig.FedAvg)) {
        throw new InvalidRequestException(
            "INVALID_PRIVACY", "differential privacy currently works with fedavg (DP-FedAvg, McMahan et al. 2018), not " + config.name());
      }
      return CentralDp.fedAvg(privacy, layout);
    }
    return switch (config) {
      case StrategyConfig.FedAvg c -> new AveragingStrategy(c.name(), layout, 0.0);
      case StrategyConfig.FedProx c -> new AveragingStrategy(c.name(), layout, c.mu());
      case StrategyConfig.FedAvgM c -> new OptimizerStrategy(c.name(), layout, new ServerOptimizer.Momentum(c.serverLearningRate(), c.momentum()));
      case StrategyConfig.FedAdagrad c -> new OptimizerStrategy(c.name(), layout, new ServerOptimizer.Adagrad(c.eta(), c.tau()));
      case StrategyConfig.FedAdam c ->
          new OptimizerStrategy(c.name(), layout, new ServerOptimizer.Adam(c.eta(), c.beta1(), c.beta2(), c.tau()));
      case StrategyConfig.FedYogi c ->
          new OptimizerStrategy(c.name(), layout, new ServerOptimizer.Yogi(c.eta(), c.beta1(), c.beta2(), c.tau()));
      case StrategyConfig.FedMedian c -> new RobustStrategy(c, layout, new RobustRule.Median());
      case StrategyConfig.FedTrimmedAvg c -> new RobustStrategy(c, layout, new RobustRule.TrimmedMean(c.beta()));
      case StrategyConfig.Krum c -> new RobustStrategy(c, layout, new RobustRule.Krum(c.byzantine()));
      case StrategyConfig.MultiKrum c -> new RobustStrategy(c, layout, new RobustRule.MultiKrum(c.byzantine(), c.select()));
      case StrategyConfig.Bulyan c -> new RobustStrategy(c, layout, new RobustRule.Bulyan(c.byzantine()));
    };
  }
}
