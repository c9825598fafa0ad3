package dev.fedgrid.core.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

class AdaptiveClipTest {
  private static AdaptiveClip noiseless(double initial, double quantile, double rate, double expected) {
    return new AdaptiveClip(initial, quantile, rate, expected, new GaussianNoise(0, 1, new SplittableRandom(0)));
  }

  /** Andrew et al. 2021 defaults: C_0 = 0.1, gamma = 0.5, eta_C = 0.2, sigma_b = m / 20. */
  @Test
  void defaultsAreThePapers() {
    var clip = AdaptiveClip.withDefaults(100);
    assertThat(clip.clipNorm()).isEqualTo(0.1);
    assertThat(clip.targetQuantile()).isEqualTo(0.5);
    assertThat(clip.countNoiseStd()).isEqualTo(5);
  }

  /** The geometric update: with every update unclipped, bbar = 1 and C shrinks by exp(-eta (1 - gamma)). */
  @Test
  void geometricUpdateWithoutNoise() {
    var clip = noiseless(1, 0.5, 0.2, 10);
    assertThat(clip.update(10, 10)).isCloseTo(Math.exp(-0.1), within(1e-15));
    assertThat(clip.update(10, 0)).isCloseTo(1, within(1e-15));
    assertThat(clip.update(10, 5)).isCloseTo(1, within(1e-15));
  }

  /** With noiseless counts the clip norm settles at the target quantile of a fixed norm distribution. */
  @Test
  void tracksTheTargetQuantile() {
    var random = new SplittableRandom(7);
    var clip = noiseless(0.1, 0.8, 0.2, 200);
    double[] norms = new double[200];
    for (int round = 0; round < 400; round++) {
      for (int i = 0; i < norms.length; i++) norms[i] = 1 + 9 * random.nextDouble(); // uniform on [1, 10]
      int within = (int) Arrays.stream(norms).filter(clip::withinClip).count();
      clip.update(norms.length, within);
    }
    assertThat(clip.clipNorm()).isCloseTo(1 + 9 * 0.8, within(0.4));
  }

  /**
   * Andrew et al. 2021, Theorem 1: z_Delta = (z^-2 - (2 sigma_b)^-2)^(-1/2); for z = 1 and sigma_b =
   * m / 20 with m = 100, z_Delta = (1 - 1/100)^(-1/2).
   */
  @Test
  void updateNoiseMultiplierFormula() {
    assertThat(AdaptiveClip.updateNoiseMultiplier(1, 5)).isCloseTo(1 / Math.sqrt(0.99), within(1e-15));
    assertThatThrownBy(() -> AdaptiveClip.updateNoiseMultiplier(1, 0.5)).hasFieldOrPropertyWithValue("code", "INVALID_ADAPTIVE_CLIP");
  }

  /**
   * Independent check through the accountant (Mironov 2017, Proposition 7 and composition): the update
   * query at z_Delta plus the count query at 2 sigma_b cost exactly one query at z, at every order.
   */
  @Property(tries = 50)
  void updateAndCountTogetherCostTheTarget(
      @ForAll @DoubleRange(min = 0.3, max = 5) double z, @ForAll @DoubleRange(min = 0.51, max = 100) double ratio) {
    double countStd = ratio * z;
    double zDelta = AdaptiveClip.updateNoiseMultiplier(z, countStd);
    double[] both = RdpAccountant.withDefaultOrders().compose(zDelta, 1, 1).compose(2 * countStd, 1, 1).rdp();
    double[] target = RdpAccountant.withDefaultOrders().compose(z, 1, 1).rdp();
    for (int i = 0; i < both.length; i++) assertThat(both[i]).isCloseTo(target[i], within(1e-9 * target[i]));
  }

  @Test
  void rejectsBadInput() {
    assertThatThrownBy(() -> AdaptiveClip.withDefaults(0.5)).hasFieldOrPropertyWithValue("code", "INVALID_ADAPTIVE_CLIP");
    assertThatThrownBy(() -> new AdaptiveClip(0, 0.5, 0.2, 10, 0.5)).hasFieldOrPropertyWithValue("code", "INVALID_ADAPTIVE_CLIP");
    assertThatThrownBy(() -> AdaptiveClip.withDefaults(10).update(3, 4)).hasFieldOrPropertyWithValue("code", "INVALID_CLIP_COUNT");
  }
}
