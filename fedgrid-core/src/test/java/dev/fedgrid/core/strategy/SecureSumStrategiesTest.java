package dev.fedgrid.core.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.SecureInput;
import dev.fedgrid.api.strategy.SecureSum;
import dev.fedgrid.api.strategy.Strategy;
import dev.fedgrid.api.strategy.StrategyConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each strategy's secure-sum entry point: the mean-based ones release from the weighted mean of the
 * differences exactly what they release from the same updates in the clear; the robust ones refuse.
 */
class SecureSumStrategiesTest {
  private static final ParameterLayout LAYOUT = new ParameterLayout(List.of(TensorSpec.of("w", 3)));
  private static final Parameters GLOBAL = new Parameters(LAYOUT, new float[] {0.5f, -0.25f, 1f});

  static List<StrategyConfig> meanBased() {
    return List.of(new StrategyConfig.FedAvg(), new StrategyConfig.FedProx(0.1), new StrategyConfig.FedAvgM(1.0, 0.9), new StrategyConfig.FedAdagrad(0.1, 1e-3),
        new StrategyConfig.FedAdam(0.1, 0.9, 0.99, 1e-3), new StrategyConfig.FedYogi(0.1, 0.9, 0.99, 1e-3));
  }

  static List<StrategyConfig> robust() {
    return List.of(new StrategyConfig.FedMedian(), new StrategyConfig.FedTrimmedAvg(0.2), new StrategyConfig.Krum(1), new StrategyConfig.MultiKrum(1, null),
        new StrategyConfig.Bulyan(1));
  }

  @ParameterizedTest
  @MethodSource("meanBased")
  void twoRoundsFromASecureSumEqualTwoRoundsFromTheSameUpdatesInTheClear(StrategyConfig config) {
    Strategy clear = Strategies.create(config, LAYOUT);
    Strategy secure = Strategies.create(config, LAYOUT);
    assertThat(secure.secureInput()).contains(new SecureInput.WeightedMean());
    float[][] deltas = {{0.125f, -0.5f, 0.25f}, {-0.25f, 0.75f, 0f}};
    long[] examples = {10, 30};
    Parameters a = GLOBAL;
    Parameters b = GLOBAL;
    for (int round = 1; round <= 2; round++) {
      RoundAggregation r = clear.openRound(round, a, 2);
      float[] mean = new float[3];
      for (int u = 0; u < 2; u++) {
        float[] local = a.values().clone();
        for (int i = 0; i < 3; i++) {
          local[i] += deltas[u][i];
          mean[i] += deltas[u][i] * examples[u] / 40f;
        }
        r.accept(new FitOutcome.Success(NodeId.random(), new Parameters(LAYOUT, local), examples[u], Map.of()));
      }
      RoundAggregation s = secure.openRound(round, b, 2);
      s.acceptSecureSum(new SecureSum(mean, 40, 2));
      assertThat(s.successes()).isEqualTo(2);
      a = r.finish();
      b = s.finish();
      assertThat(b.values()).usingComparatorWithPrecision(1e-6f).containsExactly(a.values());
    }
    assertThat(b.values()).isNotEqualTo(GLOBAL.values());
  }

  @ParameterizedTest
  @MethodSource("robust")
  void robustStrategiesNeedIndividualUpdatesAndRefuseASecureSum(StrategyConfig config) {
    Strategy strategy = Strategies.create(config, LAYOUT);
    assertThat(strategy.secureInput()).isEmpty();
    RoundAggregation round = strategy.openRound(1, GLOBAL, 5);
    assertThatThrownBy(() -> round.acceptSecureSum(new SecureSum(new float[3], 5, 5))).hasFieldOrPropertyWithValue("code", "SECURE_AGGREGATION_UNSUPPORTED");
  }

  @ParameterizedTest
  @MethodSource("meanBased")
  void aSumOfTheWrongLengthOrWithNaNIsRefusedAndChangesNothing(StrategyConfig config) {
    RoundAggregation round = Strategies.create(config, LAYOUT).openRound(1, GLOBAL, 2);
    assertThatThrownBy(() -> round.acceptSecureSum(new SecureSum(new float[4], 2, 2))).hasFieldOrPropertyWithValue("code", "SHAPE_MISMATCH");
    assertThatThrownBy(() -> round.acceptSecureSum(new SecureSum(new float[] {0, Float.NaN, 0}, 2, 2))).hasFieldOrPropertyWithValue("code", "NON_FINITE_UPDATE");
    round.acceptSecureSum(new SecureSum(new float[] {0.5f, 0.5f, 0.5f}, 2, 2));
    assertThat(round.finish().values()).isNotEqualTo(GLOBAL.values());
  }
}
