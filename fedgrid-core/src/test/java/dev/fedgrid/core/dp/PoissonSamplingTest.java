package dev.fedgrid.core.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.InvalidRequestException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Poisson sampling of nodes, and the accounting of a sampled job. */
class PoissonSamplingTest {
  private static final List<Integer> POPULATION = IntStream.range(0, 50).boxed().toList();

  @Test
  void sampleSizesFollowTheBinomialAndEveryMemberIsIncludedWithProbabilityQ() {
    var random = new SplittableRandom(42);
    double q = 0.3;
    int draws = 20_000;
    int[] included = new int[POPULATION.size()];
    double sum = 0;
    double sq = 0;
    for (int i = 0; i < draws; i++) {
      List<Integer> s = PoissonSampling.sample(POPULATION, q, random);
      assertThat(s).isSorted().doesNotHaveDuplicates();
      s.forEach(m -> included[m]++);
      sum += s.size();
      sq += (double) s.size() * s.size();
    }
    double n = POPULATION.size();
    double mean = sum / draws;
    double variance = sq / draws - mean * mean;
    // Binomial(50, 0.3): mean 15, variance 10.5; 6 standard errors
    assertThat(mean).isCloseTo(n * q, within(6 * Math.sqrt(n * q * (1 - q) / draws)));
    assertThat(variance).isCloseTo(n * q * (1 - q), within(0.1 * n * q * (1 - q)));
    for (int count : included) assertThat(count / (double) draws).isCloseTo(q, within(6 * Math.sqrt(q * (1 - q) / draws)));
  }

  @Test
  void qOfOneTakesEveryoneAndBadRatesAreRefused() {
    assertThat(PoissonSampling.sample(POPULATION, 1.0, new SplittableRandom(1))).isEqualTo(POPULATION);
    for (double q : new double[] {0, -0.1, 1.01, Double.NaN}) {
      assertThatThrownBy(() -> PoissonSampling.sample(POPULATION, q, new SplittableRandom(1)))
          .isInstanceOf(InvalidRequestException.class).hasMessageContaining("sampling rate");
    }
  }

  @Test
  void aSampledCentralJobIsAccountedAtItsSamplingRate() {
    var p = dev.fedgrid.api.privacy.DifferentialPrivacy.withNoise(1.1);
    for (int rounds : new int[] {1, 10, 100}) {
      double sampled = DpAccounting.spent(p, 0.1, rounds).epsilon();
      assertThat(sampled).isEqualTo(RdpAccountant.withDefaultOrders().compose(1.1, 0.1, rounds).epsilon(1e-5).epsilon());
      assertThat(sampled).isLessThan(CentralDp.epsilon(p, rounds));
    }
    assertThat(DpAccounting.samplingRate(p, 0.1)).isEqualTo(0.1);
  }
}
