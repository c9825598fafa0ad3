package dev.fedgrid.core.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class InitializersTest {
  static final ParameterLayout LAYOUT =
      new ParameterLayout(
          List.of(
              TensorSpec.of("conv0.weight", 8, 3, 5, 5),
              TensorSpec.of("conv0.bias", 8),
              TensorSpec.of("dense1.weight", 400, 120),
              TensorSpec.of("dense1.bias", 400),
              TensorSpec.of("orphan.bias", 5),
              TensorSpec.of("running_mean", 6)));

  @Test
  void isDeterministicForASeed() {
    assertThat(Initializers.initialize(LAYOUT, 42)).isEqualTo(Initializers.initialize(LAYOUT, 42));
    assertThat(Initializers.initialize(LAYOUT, 42)).isNotEqualTo(Initializers.initialize(LAYOUT, 43));
  }

  @Test
  void drawsWeightsAndBiasesFromPyTorchsDefaultUniform() {
    Parameters p = Initializers.initialize(LAYOUT, 7);
    double convBound = 1 / Math.sqrt(3 * 5 * 5);
    double denseBound = 1 / Math.sqrt(120);
    assertUniform(p.tensor(0), convBound);
    assertUniform(p.tensor(1), convBound);
    assertUniform(p.tensor(2), denseBound);
    assertUniform(p.tensor(3), denseBound);
  }

  @Test
  void leavesOtherTensorsAndBiasesWithoutAWeightAtZero() {
    Parameters p = Initializers.initialize(LAYOUT, 7);
    assertThat(p.tensor(4)).containsOnly(0f);
    assertThat(p.tensor(5)).containsOnly(0f);
  }

  @Test
  void fanInIsTheProductOfAllDimensionsButTheFirst() {
    assertThat(Initializers.fanIn(TensorSpec.of("a", 16, 30))).isEqualTo(30);
    assertThat(Initializers.fanIn(TensorSpec.of("a", 8, 3, 5, 5))).isEqualTo(75);
    assertThat(Initializers.fanIn(TensorSpec.of("a", 9))).isEqualTo(1);
  }

  /** Within [-b, b], spread over it, with the mean and variance of U(-b, b). */
  static void assertUniform(float[] values, double bound) {
    double sum = 0;
    double squares = 0;
    double max = 0;
    for (float v : values) {
      assertThat((double) Math.abs(v)).isLessThanOrEqualTo(bound);
      sum += v;
      squares += (double) v * v;
      max = Math.max(max, Math.abs(v));
    }
    int n = values.length;
    double mean = sum / n;
    double variance = squares / n - mean * mean;
    // standard error of the mean is b / sqrt(3 n); allow 5 of them
    assertThat(mean).isCloseTo(0, within(5 * bound / Math.sqrt(3.0 * n)));
    assertThat(variance).isCloseTo(bound * bound / 3, within(bound * bound / 3 * 10 / Math.sqrt(n)));
    assertThat(max).isGreaterThan(bound * (1 - 20.0 / n));
  }
}
