package dev.fedgrid.core.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.SecureInput;
import dev.fedgrid.api.strategy.SecureSum;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** DP-FedAvg on a securely summed input: the same clipped sum, the same noise, the same release. */
class DpFedAvgSecureSumTest {
  private static final ParameterLayout LAYOUT = new ParameterLayout(List.of(TensorSpec.of("w", 4)));

  @Test
  void asksForTheUnweightedSumOfDifferencesClippedToItsNormAndRefusesWithAdaptiveClipping() {
    var fixed = new DpFedAvg(new DifferentialPrivacy(1.0, 0.5, null, null, null, null), LAYOUT);
    assertThat(fixed.secureInput()).contains(new SecureInput.ClippedSum(0.5));
    var adaptive = new DpFedAvg(new DifferentialPrivacy(1.0, null, true, null, null, null), LAYOUT);
    assertThat(adaptive.secureInput()).isEmpty();
    RoundAggregation round = adaptive.openRound(1, new Parameters(LAYOUT, new float[4]), 100);
    assertThatThrownBy(() -> round.acceptSecureSum(new SecureSum(new float[4], 2, 2)))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("adaptive clipping");
  }

  @Test
  void theSecureSumReleasesExactlyWhatTheSameClippedUpdatesInTheClearWouldWithTheSameNoise() {
    var privacy = new DifferentialPrivacy(1.2, 1.0, null, null, null, null);
    var global = new Parameters(LAYOUT, new float[] {0.5f, -0.5f, 0f, 1f});
    float[][] deltas = {{0.1f, 0.2f, -0.3f, 0f}, {3f, 0f, 0f, 4f}, {-0.25f, 0.25f, 0.25f, -0.25f}};
    RoundAggregation clear = new DpFedAvg(privacy, LAYOUT, new SplittableRandom(9)).openRound(1, global, 3.5);
    float[] clippedSum = new float[4];
    for (float[] d : deltas) {
      float[] local = global.values().clone();
      for (int i = 0; i < 4; i++) local[i] += d[i];
      clear.accept(new FitOutcome.Success(NodeId.random(), new Parameters(LAYOUT, local), 10, Map.of()));
      float[] c = d.clone();
      Clipping.clipToNorm(c, 1.0);
      for (int i = 0; i < 4; i++) clippedSum[i] += c[i];
    }
    float[] mean = new float[4];
    for (int i = 0; i < 4; i++) mean[i] = clippedSum[i] / 3;
    RoundAggregation secure = new DpFedAvg(privacy, LAYOUT, new SplittableRandom(9)).openRound(1, global, 3.5);
    secure.acceptSecureSum(new SecureSum(mean, 3, 3));
    assertThat(secure.successes()).isEqualTo(3);
    float[] a = clear.finish().values();
    float[] b = secure.finish().values();
    for (int i = 0; i < 4; i++) assertThat(b[i]).isCloseTo(a[i], within(1e-5f));
  }

  @Test
  void noiseOnTheSecureSumHasStandardDeviationZTimesCOverTheExpectedNodes() {
    var layout = new ParameterLayout(List.of(TensorSpec.of("w", 40_000)));
    var global = new Parameters(layout, new float[layout.size()]);
    RoundAggregation round = new DpFedAvg(new DifferentialPrivacy(1.5, 2.0, null, null, null, null), layout, new SplittableRandom(42)).openRound(1, global, 4);
    round.acceptSecureSum(new SecureSum(new float[layout.size()], 4, 4)); // a zero sum: the release is pure noise
    float[] next = round.finish().values();
    double sq = 0;
    for (float v : next) sq += (double) v * v;
    double expected = 1.5 * 2.0 / 4;
    assertThat(Math.sqrt(sq / next.length)).isCloseTo(expected, within(5 * expected / Math.sqrt(2.0 * next.length)));
  }

  @Test
  void aWeightedSumAnUpdateAfterTheSumOrASecondSumIsRefused() {
    var dp = new DpFedAvg(new DifferentialPrivacy(1.0, 1.0, null, null, null, null), LAYOUT, new SplittableRandom(1));
    var global = new Parameters(LAYOUT, new float[4]);
    RoundAggregation round = dp.openRound(1, global, 2);
    assertThatThrownBy(() -> round.acceptSecureSum(new SecureSum(new float[4], 30, 2))).hasFieldOrPropertyWithValue("code", "INVALID_SECURE_SUM");
    round.acceptSecureSum(new SecureSum(new float[4], 2, 2));
    assertThatThrownBy(() -> round.acceptSecureSum(new SecureSum(new float[4], 2, 2))).isInstanceOf(ConflictException.class);
    assertThatThrownBy(() -> round.accept(new FitOutcome.Success(NodeId.random(), global, 1, Map.of()))).isInstanceOf(ConflictException.class);
  }
}
