package dev.fedgrid.core.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.Strategy;
import dev.fedgrid.api.strategy.StrategyConfig;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class StrategiesTest {
  static final ParameterLayout LAYOUT = new ParameterLayout(List.of(TensorSpec.of("w", 3)));
  static final NodeId A = NodeId.random();
  static final NodeId B = NodeId.random();
  static final NodeId C = NodeId.random();
  static final List<NodeId> NODES = Stream.generate(NodeId::random).limit(5).toList();

  // Two nodes, three parameters. global g = [0, 1, -2];
  // node a sends [1, 2, 3] for 1 example, node b [4, 5, 6] for 3 examples:
  // mean = (1 [1, 2, 3] + 3 [4, 5, 6]) / 4 = [3.25, 4.25, 5.25], delta = mean - g = [3.25, 3.25, 7.25].
  static final float[] GLOBAL = {0, 1, -2};
  static final float[] MEAN = {3.25f, 4.25f, 5.25f};
  static final double[] DELTA = {3.25, 3.25, 7.25};

  static Parameters params(float... values) {
    return new Parameters(LAYOUT, values);
  }

  static FitOutcome success(NodeId node, long examples, float... values) {
    return new FitOutcome.Success(node, params(values), examples, Map.of("loss", 0.5));
  }

  static Parameters round(Strategy strategy, int round, float[] global) {
    RoundAggregation r = strategy.openRound(round, params(global));
    r.accept(success(A, 1, 1, 2, 3));
    r.accept(success(B, 3, 4, 5, 6));
    return r.finish();
  }

  static Strategy create(StrategyConfig config) {
    return Strategies.create(config, LAYOUT);
  }

  static void assertValues(Parameters actual, double... expected) {
    assertThat(actual.layout()).isEqualTo(LAYOUT);
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual.values()[i]).as("element %d", i).isCloseTo(expected[i], within(1e-6 * Math.max(1, Math.abs(expected[i]))));
    }
  }

  @Test
  void fedAvgTakesTheMeanWeightedByExamples() {
    Strategy s = create(new StrategyConfig.FedAvg());
    assertThat(s.name()).isEqualTo("fedavg");
    assertThat(s.proximalMu()).isZero();
    assertThat(round(s, 1, GLOBAL).values()).containsExactly(MEAN);
    assertThat(s.state()).isEmpty();
  }

  @Test
  void fedProxAggregatesLikeFedAvgAndCarriesMu() {
    Strategy s = create(new StrategyConfig.FedProx(0.25));
    assertThat(s.name()).isEqualTo("fedprox");
    assertThat(s.proximalMu()).isEqualTo(0.25);
    assertThat(round(s, 1, GLOBAL).values()).containsExactly(MEAN);
    assertThat(s.state()).isEmpty();
  }

  @Test
  void fedAvgMAccumulatesMomentum() {
    Strategy s = create(new StrategyConfig.FedAvgM(0.5, 0.9));
    // round 1: v = delta; w = g + 0.5 delta = [1.625, 2.625, 1.625]
    Parameters w1 = round(s, 1, GLOBAL);
    assertValues(w1, 1.625, 2.625, 1.625);
    assertThat(s.state().get("momentum")).containsExactly(3.25f, 3.25f, 7.25f);
    // round 2 from w1, same updates: delta2 = mean - w1 = [1.625, 1.625, 3.625]
    // v = 0.9 [3.25, 3.25, 7.25] + delta2 = [4.55, 4.55, 10.15]; w = w1 + 0.5 v = [3.9, 4.9, 6.7]
    Parameters w2 = round(s, 2, w1.values());
    assertValues(w2, 3.9, 4.9, 6.7);
    assertThat(s.state().get("momentum")[2]).isCloseTo(10.15f, within(1e-5f));
  }

  @Test
  void fedAdagradScalesByAccumulatedSquares() {
    Strategy s = create(new StrategyConfig.FedAdagrad(0.1, 0.001));
    // v = delta^2; w = g + 0.1 delta / (|delta| + 0.001)
    Parameters w1 = round(s, 1, GLOBAL);
    assertValues(w1, 0 + 0.1 * 3.25 / 3.251, 1 + 0.1 * 3.25 / 3.251, -2 + 0.1 * 7.25 / 7.251);
    assertThat(s.state().keySet()).containsExactly("v");
    assertThat(s.state().get("v")).containsExactly(10.5625f, 10.5625f, 52.5625f);
    // round 2 from w1: delta2 = mean - w1, v = v + delta2^2
    double d = 3.25 - w1.values()[0];
    double v = 10.5625 + d * d;
    Parameters w2 = round(s, 2, w1.values());
    assertThat((double) w2.values()[0]).isCloseTo(w1.values()[0] + 0.1 * d / (Math.sqrt(v) + 0.001), within(1e-6));
  }

  @Test
  void fedAdamUsesBothMomentsWithoutBiasCorrection() {
    Strategy s = create(new StrategyConfig.FedAdam(0.1, 0.9, 0.99, 0.001));
    // m = 0.1 delta; v = 0.01 delta^2; w = g + 0.1 m / (sqrt(v) + 0.001) = g + 0.01 delta / (0.1 |delta| + 0.001)
    Parameters w1 = round(s, 1, GLOBAL);
    assertValues(w1, 0.01 * 3.25 / 0.326, 1 + 0.01 * 3.25 / 0.326, -2 + 0.01 * 7.25 / 0.726);
    assertThat(s.state().get("m")).containsExactly(0.325f, 0.325f, 0.725f);
    assertThat(s.state().get("v")[2]).isCloseTo(0.525625f, within(1e-7f));
    // round 2: m = 0.9 m + 0.1 d, v = 0.99 v + 0.01 d^2
    double d = 3.25 - w1.values()[0];
    double m = 0.9 * 0.325 + 0.1 * d;
    double v = 0.99 * 0.105625 + 0.01 * d * d;
    Parameters w2 = round(s, 2, w1.values());
    assertThat((double) w2.values()[0]).isCloseTo(w1.values()[0] + 0.1 * m / (Math.sqrt(v) + 0.001), within(1e-6));
  }

  @Test
  void fedYogiMovesTheSecondMomentAdditively() {
    Strategy s = create(new StrategyConfig.FedYogi(0.1, 0.9, 0.99, 0.001));
    // round 1 from v = 0: v = 0 - 0.01 d^2 sign(0 - d^2) = 0.01 d^2, as Adam
    Parameters w1 = round(s, 1, GLOBAL);
    assertValues(w1, 0.01 * 3.25 / 0.326, 1 + 0.01 * 3.25 / 0.326, -2 + 0.01 * 7.25 / 0.726);
    // round 2: delta2^2 < v, so v = v - 0.01 d^2 (Adam would give 0.99 v + 0.01 d^2)
    double d = 3.25 - w1.values()[0];
    double v1 = s.state().get("v")[0];
    assertThat(d * d).isGreaterThan(v1); // here the gradient grew: v increases by 0.01 d^2
    double v = v1 + 0.01 * d * d;
    double m = 0.9 * s.state().get("m")[0] + 0.1 * d;
    Parameters w2 = round(s, 2, w1.values());
    assertThat((double) s.state().get("v")[0]).isCloseTo(v, within(1e-6));
    assertThat((double) w2.values()[0]).isCloseTo(w1.values()[0] + 0.1 * m / (Math.sqrt(v) + 0.001), within(1e-6));
  }

  @Test
  void fedYogiShrinksTheSecondMomentWhenGradientsShrink() {
    Strategy s = create(new StrategyConfig.FedYogi(0.1, 0.9, 0.99, 0.001));
    s.restore(Map.of("m", new float[3], "v", new float[] {100, 100, 100}));
    Parameters w = round(s, 1, GLOBAL);
    // v = 100 - 0.01 delta^2 sign(100 - delta^2) = 100 - 0.01 delta^2
    assertThat(s.state().get("v")).containsExactly(100 - 0.105625f, 100 - 0.105625f, 100 - 0.525625f);
    assertThat(w.values()[0]).isCloseTo((float) (0.1 * 0.325 / (Math.sqrt(100 - 0.105625) + 0.001)), within(1e-7f));
  }

  @ParameterizedTest
  @MethodSource("allConfigs")
  void aFailureDoesNotChangeTheResult(StrategyConfig config) {
    Parameters without = round(create(config), 1, GLOBAL);
    Strategy s = create(config);
    RoundAggregation r = s.openRound(1, params(GLOBAL));
    r.accept(success(A, 1, 1, 2, 3));
    r.accept(new FitOutcome.Failure(C, "timed out"));
    r.accept(success(B, 3, 4, 5, 6));
    assertThat(r.successes()).isEqualTo(2);
    assertThat(r.failures()).isEqualTo(1);
    assertThat(r.finish()).isEqualTo(without);
  }

  @ParameterizedTest
  @MethodSource("allConfigs")
  void refusesAnUpdateOfTheWrongShapeWithoutChangingTheRound(StrategyConfig config) {
    Parameters without = round(create(config), 1, GLOBAL);
    RoundAggregation r = create(config).openRound(1, params(GLOBAL));
    r.accept(success(A, 1, 1, 2, 3));
    var wrong = new Parameters(new ParameterLayout(List.of(TensorSpec.of("w", 4))), new float[4]);
    assertThatThrownBy(() -> r.accept(new FitOutcome.Success(C, wrong, 10, Map.of())))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("SHAPE_MISMATCH"))
        .hasMessageContaining(C.value())
        .hasMessageContaining("tensor 0");
    r.accept(success(B, 3, 4, 5, 6));
    assertThat(r.successes()).isEqualTo(2);
    assertThat(r.finish()).isEqualTo(without);
  }

  @ParameterizedTest
  @MethodSource("allConfigs")
  void refusesANonFiniteUpdateWithoutChangingTheRound(StrategyConfig config) {
    Parameters without = round(create(config), 1, GLOBAL);
    RoundAggregation r = create(config).openRound(1, params(GLOBAL));
    r.accept(success(A, 1, 1, 2, 3));
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> r.accept(success(C, 10, 1, bad, 3)))
          .isInstanceOfSatisfying(
              InvalidRequestException.class,
              e -> {
                assertThat(e.code()).isEqualTo("NON_FINITE_UPDATE");
                assertThat(e.details()).containsEntry("index", 1).containsEntry("node", C.value());
              })
          .hasMessageContaining(C.value())
          .hasMessageContaining("index 1");
    }
    r.accept(success(B, 3, 4, 5, 6));
    assertThat(r.finish()).isEqualTo(without);
  }

  @ParameterizedTest
  @MethodSource("allConfigs")
  void aRoundWithoutSuccessesIsUnavailableAndKeepsTheState(StrategyConfig config) {
    Strategy s = create(config);
    Map<String, float[]> before = s.state();
    RoundAggregation r = s.openRound(4, params(GLOBAL));
    r.accept(new FitOutcome.Failure(A, "out of memory"));
    assertThatThrownBy(r::finish)
        .isInstanceOfSatisfying(UnavailableException.class, e -> assertThat(e.code()).isEqualTo("NO_UPDATES"))
        .hasMessageContaining("round 4")
        .hasMessageContaining(A.value() + ": out of memory");
    assertThat(s.state()).usingRecursiveComparison().isEqualTo(before);
  }

  @Test
  void eachNodeCountsOncePerRound() {
    RoundAggregation r = create(new StrategyConfig.FedAvg()).openRound(1, params(GLOBAL));
    r.accept(success(A, 1, 1, 2, 3));
    assertThatThrownBy(() -> r.accept(success(A, 1, 1, 2, 3)))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("DUPLICATE_UPDATE"));
    assertThatThrownBy(() -> r.accept(new FitOutcome.Failure(A, "late")))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("DUPLICATE_UPDATE"));
    assertThat(r.successes()).isEqualTo(1);
    assertThat(r.failures()).isZero();
  }

  @Test
  void aNodeWhoseUpdateWasRefusedMaySendACorrectOne() {
    RoundAggregation r = create(new StrategyConfig.FedAvg()).openRound(1, params(GLOBAL));
    assertThatThrownBy(() -> r.accept(success(A, 1, Float.NaN, 2, 3))).isInstanceOf(InvalidRequestException.class);
    r.accept(success(A, 1, 1, 2, 3));
    assertThat(r.finish().values()).containsExactly(1, 2, 3);
  }

  @Test
  void aFinishedRoundReturnsItsResultAgainAndRefusesLateOutcomes() {
    Strategy s = create(new StrategyConfig.FedAdam(null, null, null, null));
    RoundAggregation r = s.openRound(1, params(GLOBAL));
    r.accept(success(A, 1, 1, 2, 3));
    Parameters first = r.finish();
    Map<String, float[]> state = s.state();
    assertThat(r.finish()).isSameAs(first);
    assertThat(s.state()).usingRecursiveComparison().isEqualTo(state); // the optimizer stepped once
    assertThatThrownBy(() -> r.accept(success(B, 3, 4, 5, 6)))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("ROUND_FINISHED"));
  }

  @Test
  void refusesAGlobalModelOfAnotherLayout() {
    var other = new Parameters(new ParameterLayout(List.of(TensorSpec.of("v", 3))), new float[3]);
    assertThatThrownBy(() -> create(new StrategyConfig.FedAvg()).openRound(1, other))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("SHAPE_MISMATCH"));
  }

  @Test
  void anOverflowingStepIsRefusedAndKeepsTheState() {
    Strategy s = create(new StrategyConfig.FedAvgM(1.0, 0.9));
    RoundAggregation r = s.openRound(1, params(-3e38f, 0, 0));
    r.accept(success(A, 1, 3e38f, 0, 0));
    assertThatThrownBy(r::finish)
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("NON_FINITE_AGGREGATE"));
    assertThat(s.state().get("momentum")).containsOnly(0f);
  }

  static Stream<StrategyConfig> allConfigs() {
    return Stream.of(
        new StrategyConfig.FedAvg(),
        new StrategyConfig.FedProx(null),
        new StrategyConfig.FedAvgM(null, null),
        new StrategyConfig.FedAdagrad(null, null),
        new StrategyConfig.FedAdam(null, null, null, null),
        new StrategyConfig.FedYogi(null, null, null, null));
  }

  static Stream<StrategyConfig> statefulConfigs() {
    return allConfigs().skip(2);
  }

  /** Round {@code round}'s updates for a larger model, the same for every run. */
  static Parameters randomRound(Strategy s, ParameterLayout layout, int round, Parameters global) {
    var rng = new Random(round);
    RoundAggregation r = s.openRound(round, global);
    for (int node = 0; node < 5; node++) {
      float[] u = global.values().clone();
      for (int i = 0; i < u.length; i++) u[i] += (float) (0.1 * rng.nextGaussian());
      r.accept(new FitOutcome.Success(NODES.get(node), new Parameters(layout, u), 1 + rng.nextInt(100), Map.of()));
    }
    return r.finish();
  }

  @ParameterizedTest
  @MethodSource("statefulConfigs")
  void aRestoredStrategyContinuesIdentically(StrategyConfig config) {
    var layout = new ParameterLayout(List.of(TensorSpec.of("dense.weight", 7, 5), TensorSpec.of("dense.bias", 7)));
    var global = new Parameters(layout, new float[layout.size()]);

    Strategy straight = Strategies.create(config, layout);
    Parameters p = global;
    for (int round = 1; round <= 3; round++) p = randomRound(straight, layout, round, p);

    Strategy first = Strategies.create(config, layout);
    Parameters q = global;
    for (int round = 1; round <= 2; round++) q = randomRound(first, layout, round, q);
    Map<String, float[]> checkpoint = first.state();
    assertThat(checkpoint).isNotEmpty();
    Strategy resumed = Strategies.create(config, layout);
    resumed.restore(checkpoint);
    Parameters r = randomRound(resumed, layout, 3, q);

    assertThat(r).isEqualTo(p);
    assertThat(resumed.state()).usingRecursiveComparison().isEqualTo(straight.state());
  }

  @Test
  void stateIsExportedAsCopies() {
    Strategy s = create(new StrategyConfig.FedAdam(null, null, null, null));
    round(s, 1, GLOBAL);
    s.state().get("m")[0] = 1000;
    assertThat(s.state().get("m")[0]).isNotEqualTo(1000);
  }

  @Test
  void restoreRefusesStateThatDoesNotFit() {
    Strategy s = create(new StrategyConfig.FedAdam(null, null, null, null));
    round(s, 1, GLOBAL);
    Map<String, float[]> before = s.state();
    for (Map<String, float[]> bad :
        List.of(
            Map.of("m", new float[3]),
            Map.of("m", new float[3], "v", new float[3], "x", new float[3]),
            Map.of("m", new float[3], "v", new float[2]),
            Map.of("m", new float[] {0, Float.NaN, 0}, "v", new float[3]),
            Map.of("m", new float[3], "v", new float[] {0, -1, 0}))) {
      assertThatThrownBy(() -> s.restore(bad))
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_STRATEGY_STATE"));
    }
    assertThat(s.state()).usingRecursiveComparison().isEqualTo(before);
    s.restore(Map.of());
    assertThat(s.state().get("v")).containsOnly(0f);
  }
}
