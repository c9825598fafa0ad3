package dev.fedgrid.core.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GaussianNoiseTest {
  /** Sample mean, variance and kurtosis of 400,000 deviates, against N(0, (sigma C)^2) at about 5 standard errors. */
  @Test
  void hasTheRequestedMomentsAndAGaussianShape() {
    var noise = new GaussianNoise(1.5, 2, new SplittableRandom(42));
    assertThat(noise.standardDeviation()).isEqualTo(3);
    int n = 400_000;
    float[] sum = new float[n];
    noise.addTo(sum);
    double mean = 0;
    for (float v : sum) mean += v;
    mean /= n;
    double m2 = 0;
    double m4 = 0;
    int within1 = 0;
    for (float v : sum) {
      double d = v - mean;
      m2 += d * d;
      m4 += d * d * d * d;
      if (Math.abs(v) <= 3) within1++;
    }
    m2 /= n;
    m4 /= n;
    assertThat(mean).isCloseTo(0, within(5 * 3 / Math.sqrt(n)));
    assertThat(m2).isCloseTo(9, within(5 * 9 * Math.sqrt(2.0 / n)));
    assertThat(m4 / (m2 * m2)).isCloseTo(3, within(5 * Math.sqrt(24.0 / n)));
    // P(|Z| <= 1) = erf(1 / sqrt 2) = 0.682689492...
    assertThat((double) within1 / n).isCloseTo(1 - Erfc.erfc(1 / Math.sqrt(2)), within(5 * Math.sqrt(0.22 / n)));
  }

  @Test
  void addsToTheExistingValues() {
    float[] sum = {10, 20, 30};
    new GaussianNoise(0, 1, new SplittableRandom(1)).addTo(sum);
    assertThat(sum).containsExactly(10, 20, 30);
  }

  /**
   * Production noise comes from SecureRandom: over a million parameters its variance is (z C)^2.
   * How fast that is belongs to a benchmark, not to a timed unit test on a shared machine.
   */
  @Test
  void secureNoiseForAMillionParametersHasTheRightVariance() {
    var noise = new GaussianNoise(1, 0.5);
    float[] sum = new float[1_000_000];
    noise.addTo(sum);
    noise.addTo(sum);
    double sq = 0;
    for (float v : sum) sq += (double) v * v;
    assertThat(sq / sum.length).isCloseTo(2 * 0.25, within(0.01));
  }

  @Test
  void rejectsBadParameters() {
    assertThatThrownBy(() -> new GaussianNoise(-1, 1)).hasFieldOrPropertyWithValue("code", "INVALID_NOISE_MULTIPLIER");
    assertThatThrownBy(() -> new GaussianNoise(1, 0)).hasFieldOrPropertyWithValue("code", "INVALID_CLIP_NORM");
  }
}
