package dev.fedgrid.core.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.Strategy;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.core.strategy.Strategies;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DpFedAvgTest {
  private static final ParameterLayout SMALL = new ParameterLayout(List.of(TensorSpec.of("w", 3)));
  /** Negligible noise, for tests of the deterministic part. */
  private static final DifferentialPrivacy QUIET = new DifferentialPrivacy(1e-6, 1.0, null, null, null, null);

  private static Parameters filled(ParameterLayout layout, float value) {
    float[] v = new float[layout.size()];
    Arrays.fill(v, value);
    return new Parameters(layout, v);
  }

  private static FitOutcome success(Parameters p, long examples) {
    return new FitOutcome.Success(NodeId.random(), p, examples, Map.of());
  }

  private static double norm(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += (double) (a[i] - b[i]) * (a[i] - b[i]);
    return Math.sqrt(s);
  }

  @Test
  void oneHugeUpdateMovesTheModelByAtMostTheClipNormOverTheExpectedNodes() {
    var layout = new ParameterLayout(List.of(TensorSpec.of("w", 1000)));
    Parameters global = filled(layout, 0.5f);
    for (float outlier : new float[] {1e3f, 1e6f, 1e30f}) {
      Strategy dp = new DpFedAvg(QUIET, layout, new SplittableRandom(7));
      RoundAggregation round = dp.openRound(1, global, 4);
      for (int i = 0; i < 3; i++) round.accept(success(global, 100));
      round.accept(success(filled(layout, outlier), 1));
      float[] next = round.finish().values();
      // C / m = 1 / 4, plus noise of about 1e-6 / 4 per element (1000 elements: ~1e-5 in norm)
      assertThat(norm(next, global.values())).as("outlier %s", outlier).isCloseTo(0.25, within(1e-4));
    }
  }

  @Test
  void noiseHasStandardDeviationZTimesCOverTheExpectedNodes() {
    var layout = new ParameterLayout(List.of(TensorSpec.of("w", 40_000)));
    Parameters global = filled(layout, 0f);
    var privacy = new DifferentialPrivacy(1.5, 2.0, null, null, null, null);
    RoundAggregation round = new DpFedAvg(privacy, layout, new SplittableRandom(42)).openRound(1, global, 4);
    for (int i = 0; i < 4; i++) round.accept(success(global, 10)); // zero updates: the result is pure noise
    float[] next = round.finish().values();
    double mean = 0;
    double sq = 0;
    for (float v : next) {
      mean += v;
      sq += (double) v * v;
    }
    mean /= next.length;
    double std = Math.sqrt(sq / next.length - mean * mean);
    double expected = 1.5 * 2.0 / 4; // z C / m
    assertThat(mean).isCloseTo(0, within(5 * expected / Math.sqrt(next.length)));
    assertThat(std).isCloseTo(expected, within(5 * expected / Math.sqrt(2.0 * next.length)));
  }

  @Test
  void productionNoiseComesFromSecureRandomWithTheSameScale() {
    var layout = new ParameterLayout(List.of(TensorSpec.of("w", 40_000)));
    Parameters global = filled(layout, 0f);
    RoundAggregation round = CentralDp.fedAvg(DifferentialPrivacy.withNoise(1.0), layout).openRound(1, global, 2);
    round.accept(success(global, 1));
    float[] next = round.finish().values();
    double sq = 0;
    for (float v : next) sq += (double) v * v;
    assertThat(Math.sqrt(sq / next.length)).isCloseTo(0.5, within(0.02));
  }

  @Test
  void theSumIsUnweightedAndDividedByTheExpectedNotTheActualCount() {
    Parameters global = new Parameters(SMALL, new float[] {0, 1, -2});
    RoundAggregation round = new DpFedAvg(QUIET, SMALL, new SplittableRandom(1)).openRound(1, global, 4);
    round.accept(success(new Parameters(SMALL, new float[] {0.1f, 1, -2}), 1));
    round.accept(success(new Parameters(SMALL, new float[] {0, 1.2f, -2}), 1000));
    round.accept(new FitOutcome.Failure(NodeId.random(), "timed out"));
    assertThat(round.successes()).isEqualTo(2);
    assertThat(round.failures()).isEqualTo(1);
    float[] next = round.finish().values();
    assertThat((double) next[0]).isCloseTo(0.1 / 4, within(1e-5));
    assertThat((double) next[1]).isCloseTo(1 + 0.2 / 4, within(1e-5));
    assertThat((double) next[2]).isCloseTo(-2, within(1e-5));
    assertThat(round.finish().values()).as("finish is idempotent").containsExactly(next);
  }

  @Test
  void withSamplingTheSumIsDividedByTheExpectedQTimesEligibleEvenWhenFractional() {
    // q = 0.5 of 5 eligible nodes: 2.5 expected; 2 were sampled and reported (McMahan et al. 2018's qW)
    Parameters global = new Parameters(SMALL, new float[] {0, 1, -2});
    RoundAggregation round = new DpFedAvg(QUIET, SMALL, new SplittableRandom(1)).openRound(1, global, 0.5 * 5);
    round.accept(success(new Parameters(SMALL, new float[] {0.1f, 1, -2}), 1));
    round.accept(success(new Parameters(SMALL, new float[] {0, 1.2f, -2}), 1));
    float[] next = round.finish().values();
    assertThat((double) next[0]).isCloseTo(0.1 / 2.5, within(1e-5));
    assertThat((double) next[1]).isCloseTo(1 + 0.2 / 2.5, within(1e-5));
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> new DpFedAvg(QUIET, SMALL).openRound(1, global, bad))
          .isInstanceOf(InvalidRequestException.class).hasMessageContaining("must expect more than 0 updates");
    }
  }

  @Test
  void adaptiveClipMovesTowardTheTargetQuantileOfUpdateNorms() {
    // 20 nodes per round with update norms 1, 2, ..., 20: the median norm is 10.5.
    var layout = new ParameterLayout(List.of(TensorSpec.of("w", 2)));
    var privacy = new DifferentialPrivacy(0.1, null, true, null, null, null);
    var dp = new DpFedAvg(privacy, layout, new SplittableRandom(3));
    assertThat(dp.clipNorm()).isCloseTo(0.1, within(1e-7));
    Parameters global = filled(layout, 0f);
    double previous = dp.clipNorm();
    for (int r = 1; r <= 200; r++) {
      RoundAggregation round = dp.openRound(r, global, 20);
      for (int k = 1; k <= 20; k++) round.accept(success(new Parameters(layout, new float[] {k, 0}), 1));
      round.finish();
      if (r <= 20) assertThat(dp.clipNorm()).as("round %d: every update was clipped, so C grows", r).isGreaterThan(previous);
      previous = dp.clipNorm();
    }
    assertThat(dp.clipNorm()).isBetween(7.0, 14.0);

    var shrinking = new DpFedAvg(new DifferentialPrivacy(0.1, 5.0, true, null, null, null), layout, new SplittableRandom(4));
    RoundAggregation round = shrinking.openRound(1, global, 20);
    for (int k = 1; k <= 20; k++) round.accept(success(new Parameters(layout, new float[] {0.01f, 0}), 1));
    round.finish();
    assertThat(shrinking.clipNorm()).as("every update unclipped: C shrinks").isLessThan(5.0);
  }

  @Test
  void adaptiveClippingNeedsEnoughExpectedNodesForItsCountNoise() {
    var dp = new DpFedAvg(new DifferentialPrivacy(1.0, null, true, null, null, null), SMALL);
    assertThatThrownBy(() -> dp.openRound(1, filled(SMALL, 0), 10))
        .isInstanceOf(InvalidRequestException.class)
        .satisfies(e -> assertThat(((InvalidRequestException) e).code()).isEqualTo("INVALID_ADAPTIVE_CLIP"));
    assertThat(dp.openRound(1, filled(SMALL, 0), 21)).isNotNull();
  }

  private static Parameters round(Strategy dp, int r, Parameters global) {
    RoundAggregation round = dp.openRound(r, global, 20);
    IntStream.range(0, 20).forEach(k -> round.accept(success(filled(SMALL, 1f + k / 10f), 1)));
    return round.finish();
  }

  @Test
  void aRestoredStrategyContinuesExactlyAsTheOriginal() {
    var privacy = new DifferentialPrivacy(0.1, null, true, null, null, null);
    var random = (RandomGenerator.JumpableGenerator) RandomGeneratorFactory.of("Xoroshiro128PlusPlus").create(9);
    var original = new DpFedAvg(privacy, SMALL, random);
    Parameters global = filled(SMALL, 0f);
    for (int r = 1; r <= 3; r++) global = round(original, r, global);
    Map<String, float[]> state = original.state();
    assertThat(state).containsOnlyKeys("clipNorm");
    assertThat((double) state.get("clipNorm")[0]).isEqualTo(original.clipNorm()).isNotEqualTo((double) 0.1f);

    var restored = new DpFedAvg(privacy, SMALL, random.copy()); // the same noise from here on
    restored.restore(state);
    assertThat(restored.clipNorm()).isEqualTo(original.clipNorm());
    assertThat(round(restored, 4, global).values()).containsExactly(round(original, 4, global).values());
    assertThat(restored.clipNorm()).isEqualTo(original.clipNorm());

    restored.restore(Map.of());
    assertThat(restored.clipNorm()).isEqualTo((double) 0.1f);

    assertThat(new DpFedAvg(QUIET, SMALL).state()).isEmpty();
    assertThatThrownBy(() -> new DpFedAvg(QUIET, SMALL).restore(state)).hasMessageContaining("fixed clipping keeps no state");
    assertThatThrownBy(() -> restored.restore(Map.of("clipNorm", new float[] {-1f})))
        .isInstanceOf(InvalidRequestException.class)
        .satisfies(e -> assertThat(((InvalidRequestException) e).code()).isEqualTo("INVALID_STRATEGY_STATE"));
  }

  @Test
  void refusesWhatEveryStrategyRefusesAndStaysUnchanged() {
    Parameters global = filled(SMALL, 0f);
    var dp = new DpFedAvg(QUIET, SMALL, new SplittableRandom(5));
    RoundAggregation round = dp.openRound(1, global, 2);
    FitOutcome good = success(new Parameters(SMALL, new float[] {0.5f, 0, 0}), 1);
    round.accept(good);
    assertThatThrownBy(() -> round.accept(good)).isInstanceOf(ConflictException.class).hasMessageContaining("already reported");
    assertThatThrownBy(() -> round.accept(success(new Parameters(SMALL, new float[] {Float.NaN, 0, 0}), 1)))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("NaN at index 0");
    var wide = new ParameterLayout(List.of(TensorSpec.of("w", 4)));
    assertThatThrownBy(() -> round.accept(success(filled(wide, 0f), 1)))
        .isInstanceOf(InvalidRequestException.class)
        .satisfies(e -> assertThat(((FedGridException) e).code()).isEqualTo("SHAPE_MISMATCH"));
    assertThat(round.successes()).isEqualTo(1);
    assertThat((double) round.finish().values()[0]).isCloseTo(0.25, within(1e-5));
    assertThatThrownBy(() -> round.accept(success(global, 1))).hasMessageContaining("already aggregated");

    assertThatThrownBy(() -> dp.openRound(2, global, 2).finish()).isInstanceOf(UnavailableException.class).hasMessageContaining("no successful update");
    assertThatThrownBy(() -> dp.openRound(1, global, 0)).hasMessageContaining("more than 0 updates");
    assertThatThrownBy(() -> dp.openRound(1, global)).isInstanceOf(IllegalStateException.class).hasMessageContaining("expectedUpdates");
    assertThatThrownBy(() -> dp.openRound(1, filled(wide, 0f), 2)).hasMessageContaining("do not fit the job's model");
  }

  @Test
  void strategiesCreateDpFedAvgOnlyForFedAvg() {
    Strategy s = Strategies.create(new StrategyConfig.FedAvg(), QUIET, SMALL);
    assertThat(s).isInstanceOf(DpFedAvg.class);
    assertThat(s.name()).isEqualTo("fedavg");
    assertThat(Strategies.create(new StrategyConfig.FedAvg(), null, SMALL)).isNotInstanceOf(DpFedAvg.class);
    assertThatThrownBy(() -> Strategies.create(new StrategyConfig.FedProx(null), QUIET, SMALL))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("works with fedavg");
  }

  /**
   * With q = 1 each round is a Gaussian mechanism of RDP alpha / (2 z^2) (Mironov 2017, Prop. 7), so
   * T rounds cost T alpha / (2 z^2). Mironov's conversion eps <= T alpha / (2 z^2) + log(1/delta) /
   * (alpha - 1), minimised over real alpha at alpha* = 1 + z sqrt(2 log(1/delta) / T), gives the
   * closed form T / (2 z^2) + sqrt(2 T log(1/delta)) / z, an upper bound on what the accountant
   * reports (its orders are a grid, and its conversion is tighter).
   */
  @Test
  void spentEpsilonGrowsWithRoundsAndStaysUnderTheClosedFormBound() {
    var privacy = DifferentialPrivacy.withNoise(1.1);
    assertThat(CentralDp.epsilon(privacy, 0)).isZero();
    double previous = 0;
    for (int t = 1; t <= 50; t++) {
      double eps = CentralDp.epsilon(privacy, t);
      double bound = t / (2 * 1.1 * 1.1) + Math.sqrt(2 * t * Math.log(1e5)) / 1.1;
      assertThat(eps).as("round %d", t).isGreaterThan(previous).isLessThan(bound);
      previous = eps;
    }
    assertThat(CentralDp.spent(privacy, 10).delta()).isEqualTo(1e-5);
  }
}
