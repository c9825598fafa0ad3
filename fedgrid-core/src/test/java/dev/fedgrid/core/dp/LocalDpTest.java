package dev.fedgrid.core.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Local DP on a node: clipping, noise scale and the accounting of its reports. */
class LocalDpTest {
  @Test
  void theSentUpdateIsClippedToTheClipNorm() {
    var random = new SplittableRandom(7);
    for (int trial = 0; trial < 200; trial++) {
      int d = 1 + random.nextInt(300);
      float[] global = new float[d];
      float[] local = new float[d];
      for (int i = 0; i < d; i++) {
        global[i] = (float) random.nextDouble(-5, 5);
        local[i] = global[i] + (float) random.nextGaussian() * (float) random.nextDouble(0.001, 10);
      }
      double clip = random.nextDouble(0.01, 3);
      // negligible noise (z = 1e-9), so what is sent is the clipped update
      float[] sent = LocalDp.of(1e-9, clip, new SplittableRandom(trial)).privatize(local, global);
      float[] delta = Clipping.difference(sent, global);
      // float rounding of global + delta can add a few ulps of global's magnitude per coordinate
      assertThat(Clipping.l2Norm(delta)).as("trial %d", trial).isLessThanOrEqualTo(clip + 1e-5 * Math.sqrt(d));
      double original = Clipping.l2Norm(Clipping.difference(local, global));
      if (original <= clip) assertThat(Clipping.l2Norm(delta)).isCloseTo(original, within(1e-5 * Math.sqrt(d) + 1e-6));
    }
  }

  @Test
  void theNoiseHasStandardDeviationZTimesCFromTheSecureSource() {
    int d = 200_000;
    float[] global = new float[d];
    float[] local = new float[d]; // a zero update: what is sent is the noise alone
    double z = 2.0;
    double clip = 0.5;
    float[] sent = LocalDp.of(z, clip).privatize(local, global);
    double sum = 0;
    double sq = 0;
    for (float v : sent) {
      sum += v;
      sq += (double) v * v;
    }
    double mean = sum / d;
    double std = Math.sqrt(sq / d - mean * mean);
    double expected = z * clip;
    // the sample mean has standard error sigma / sqrt(d); the sample standard deviation about
    // sigma / sqrt(2 d): 6 standard errors either way
    assertThat(mean).isCloseTo(0, within(6 * expected / Math.sqrt(d)));
    assertThat(std).isCloseTo(expected, within(6 * expected / Math.sqrt(2.0 * d)));
  }

  /**
   * Expected value computed independently: the Gaussian mechanism with L2 sensitivity {@code 2C}
   * (replace-one neighbours, both updates in the ball of radius C) and noise {@code z C} is {@code
   * (alpha, alpha (2C)^2 / (2 (zC)^2)) = (alpha, 2 alpha / z^2)}-RDP (Mironov 2017, "Rényi
   * Differential Privacy", Corollary 3); k rounds compose to {@code 2 k alpha / z^2} (Proposition
   * 1); converted to (epsilon, delta) by Canonne, Kamath, Steinke 2020, Proposition 12, minimised
   * over the accountant's orders. Mironov's own conversion (Proposition 3), {@code rdp + log(1/delta)
   * / (alpha - 1)}, bounds it from above.
   */
  @Test
  void epsilonOverKRoundsIsTheRdpCompositionOfTheGaussianMechanism() {
    for (double z : new double[] {0.8, 2.0, 5.0, 20.0}) {
      for (int k : new int[] {1, 3, 10, 50}) {
        double delta = 1e-5;
        DifferentialPrivacy p = new DifferentialPrivacy(z, 1.0, null, null, null, delta, PrivacyMode.LOCAL);
        double best = Double.POSITIVE_INFINITY;
        double classic = Double.POSITIVE_INFINITY;
        for (double a : RdpAccountant.DEFAULT_ORDERS) {
          double rdp = k * 2 * a / (z * z);
          classic = Math.min(classic, rdp + Math.log(1 / delta) / (a - 1));
          if (a > 1.01) best = Math.min(best, rdp + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1));
        }
        double epsilon = LocalDp.spent(p, k).epsilon();
        assertThat(epsilon).as("z %s, k %s", z, k).isCloseTo(Math.max(0, best), within(1e-9 * Math.max(1, best)));
        assertThat(epsilon).isLessThanOrEqualTo(classic);
        assertThat(DpAccounting.spent(p, 1.0, k).epsilon()).isEqualTo(epsilon);
      }
    }
    assertThat(LocalDp.spent(DifferentialPrivacy.local(1.0, 1.0), 0).epsilon()).isZero();
  }

  @Test
  void localDpGetsNoAmplificationFromTheGatewaysSampling() {
    DifferentialPrivacy local = DifferentialPrivacy.local(2.0, 1.0);
    assertThat(DpAccounting.samplingRate(local, 0.1)).isEqualTo(1.0);
    assertThat(DpAccounting.spent(local, 0.1, 10).epsilon()).isEqualTo(DpAccounting.spent(local, 1.0, 10).epsilon());
    // the same noise spends more locally (sensitivity 2C) than centrally (C): local z equals central z / 2
    assertThat(DpAccounting.spent(local, 1.0, 10).epsilon()).isEqualTo(CentralDp.epsilon(DifferentialPrivacy.withNoise(1.0), 10));
  }

  @Test
  void localDpLeavesTheGatewaysStrategyAsItIsWhateverItIs() {
    var layout = new dev.fedgrid.api.model.ParameterLayout(java.util.List.of(dev.fedgrid.api.model.TensorSpec.of("w", 3)));
    DifferentialPrivacy local = DifferentialPrivacy.local(1.0, 1.0);
    for (var config : java.util.List.of(
        new dev.fedgrid.api.strategy.StrategyConfig.FedMedian(), new dev.fedgrid.api.strategy.StrategyConfig.FedAdam(null, null, null, null),
        new dev.fedgrid.api.strategy.StrategyConfig.FedAvg())) {
      var strategy = dev.fedgrid.core.strategy.Strategies.create(config, local, layout);
      assertThat(strategy.name()).isEqualTo(config.name());
      assertThat(strategy).isNotInstanceOf(DpFedAvg.class);
    }
  }

  @Test
  void invalidParametersAreRefused() {
    for (double[] bad : new double[][] {{0, 1}, {-1, 1}, {Double.NaN, 1}, {101, 1}, {1, 0}, {1, -2}, {1, Double.POSITIVE_INFINITY}, {1, 2e6}}) {
      assertThatThrownBy(() -> LocalDp.of(bad[0], bad[1])).as("z %s, C %s", bad[0], bad[1])
          .isInstanceOf(InvalidRequestException.class)
          .satisfies(e -> assertThat(((InvalidRequestException) e).code()).isEqualTo("INVALID_PRIVACY"));
    }
  }
}
