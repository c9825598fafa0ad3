package dev.fedgrid.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.model.Loss;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ScoresTest {
  @Property(tries = 200)
  void aucEqualsThePairwiseProbabilityWithTiesCountingHalf(
      @ForAll @Size(min = 2, max = 60) List<@IntRange(min = -4, max = 4) Integer> scores, @ForAll @Size(min = 2, max = 60) List<Boolean> positive) {
    int n = Math.min(scores.size(), positive.size());
    float[] s = new float[n];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      s[i] = scores.get(i) / 2f;
      y[i] = positive.get(i) ? 1 : 0;
    }
    double wins = 0;
    long pairs = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (y[i] == 1 && y[j] == 0) {
          pairs++;
          wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
        }
      }
    }
    double auc = Scores.auc(s, y);
    if (pairs == 0) assertThat(auc).isNaN();
    else assertThat(auc).isCloseTo(wins / pairs, within(1e-12));
  }

  @Test
  void aucOrdersNegativeScoresAndSignedZerosCorrectly() {
    assertThat(Scores.auc(new float[] {-3f, -1f, -0f, 0f, 2f}, new float[] {0, 0, 1, 0, 1})).isCloseTo(5.5 / 6, within(1e-12));
    assertThat(Scores.auc(new float[] {-2f, -5f}, new float[] {1, 0})).isEqualTo(1.0);
  }

  @Test
  void binaryMetricsLeaveOutAucWhenOneClassIsMissing() {
    var scores = new Scores(Loss.BINARY_CROSS_ENTROPY, 1, true);
    scores.add(new float[] {2f, -1f}, new float[] {1, 1}, 2);
    assertThat(scores.metrics()).containsOnlyKeys("loss", "accuracy");
    assertThat(scores.metrics().get("accuracy")).isEqualTo(0.5);
    double expected = (Math.log1p(Math.exp(-2)) + (1 + Math.log1p(Math.exp(-1)))) / 2;
    assertThat(scores.meanLoss()).isCloseTo(expected, within(1e-9));
  }

  @Test
  void softmaxLossIsLogSumExpMinusTheTrueLogit() {
    var scores = new Scores(Loss.SOFTMAX_CROSS_ENTROPY, 3, true);
    scores.add(new float[] {1f, 2f, 3f, 0f, 0f, 0f}, new float[] {2, 1}, 2);
    double first = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3;
    double second = Math.log(3);
    assertThat(scores.metrics()).containsOnlyKeys("loss", "accuracy");
    assertThat(scores.meanLoss()).isCloseTo((first + second) / 2, within(1e-6));
    assertThat(scores.metrics().get("accuracy")).isEqualTo(0.5); // argmax of a tie is the first class
  }

  @Test
  void regressionReportsMseAndMae() {
    var scores = new Scores(Loss.MSE, 1, true);
    scores.add(new float[] {1f, 4f}, new float[] {2f, 2f}, 2);
    assertThat(scores.metrics()).containsOnlyKeys("loss", "mse", "mae");
    assertThat(scores.metrics().get("mse")).isEqualTo(2.5);
    assertThat(scores.metrics().get("mae")).isEqualTo(1.5);
  }
}
