package dev.fedgrid.core.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.FedGridException;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ReliabilityTest {

  @Test
  void binomialTailMatchesTheFormulaComputedTermByTerm() {
    // P(Binomial(5, 0.9) < 3) = C(5,0) .1^5 + C(5,1) .9 .1^4 + C(5,2) .81 .1^3 = 0.00001 + 0.00045 + 0.0081
    assertThat(Reliability.binomialBelow(5, 0.9, 3)).isCloseTo(0.00856, within(1e-12));
    assertThat(Reliability.binomialBelow(5, 0.9, 0)).isZero();
    assertThat(Reliability.binomialBelow(5, 0.9, 6)).isEqualTo(1.0);
    // large n stays finite and sums to one
    assertThat(Reliability.binomialBelow(10_000, 0.9, 10_001)).isEqualTo(1.0);
    assertThat(Reliability.binomialBelow(10_000, 0.9, 9_000)).isCloseTo(0.5, within(0.01));
  }

  /**
   * The bound against an independent count: real random Harary graphs, each client dropping out
   * with probability p, and the round abandoned when some client's secret has fewer than t holders
   * left (itself included when it survived), or fewer than t clients survived. Parameters where a
   * round fails a few percent of the time, so 20,000 rounds measure it to about ±0.1 %.
   */
  @Test
  void theBoundMatchesAMonteCarloCountOnRealGraphs() {
    int n = 60;
    int k = 8;
    int t = Reliability.majority(k); // 5
    double p = 0.1; // the bound is about 0.053
    var random = new SplittableRandom(7);
    int trials = 20_000;
    int abandoned = 0;
    for (int trial = 0; trial < trials; trial++) {
      int[][] graph = Graphs.randomHarary(n, k, random);
      boolean[] alive = new boolean[n];
      int survivors = 0;
      for (int i = 0; i < n; i++) {
        alive[i] = random.nextDouble() >= p;
        if (alive[i]) survivors++;
      }
      boolean blocked = survivors < t;
      for (int u = 0; u < n && !blocked; u++) {
        int holders = alive[u] ? 1 : 0;
        for (int v : graph[u]) if (alive[v]) holders++;
        blocked = holders < t;
      }
      if (blocked) abandoned++;
    }
    double measured = abandoned / (double) trials;
    double bound = Reliability.abandonProbability(n, k, t, p);
    double standardError = Math.sqrt(measured * (1 - measured) / trials);
    assertThat(measured).as("a Monte Carlo estimate %.4f must not exceed the bound %.4f", measured, bound).isLessThanOrEqualTo(bound + 4 * standardError);
    // the union bound counts a round once per blocked client; blocked clients cluster (a dropped
    // node is missing from several neighbourhoods), so it overstates by a small factor, here about 2
    assertThat(bound).as("the bound is conservative but not loose").isLessThan(measured * 3 + 4 * standardError);
  }

  @Test
  void theDefaultsAbandonAboutOneRoundInAThousandOrFewerAtTenPercentDropOut() {
    // the target: about 1/1000 abandoned rounds; Bell et al.'s 2 ⌈log2 n⌉ alone misses it
    assertThat(Reliability.abandonProbability(500, 18, 10, 0.10)).isGreaterThan(1e-3);
    for (int n : new int[] {20, 100, 500, 1000, 10_000}) {
      SecAggConfig config = SecAggConfig.builder(n, 10).build();
      assertThat(Reliability.abandonProbability(n, config.neighbours(), config.threshold(), 0.10)).as("n = %d", n).isLessThan(1e-3);
    }
    // at 30 % drop-out the default k = 18 for n = 500 abandons most rounds; a denser graph is needed
    assertThat(Reliability.abandonProbability(500, 18, Reliability.majority(18), 0.30)).isGreaterThan(0.5);
    int k = Reliability.neighboursFor(500, 0.30, 1e-3);
    assertThat(k).isGreaterThan(18).isEven();
    assertThat(Reliability.abandonProbability(500, k, Reliability.majority(k), 0.30)).isLessThanOrEqualTo(1e-3);
    assertThat(Reliability.abandonProbability(500, k - 2, Reliability.majority(k - 2), 0.30)).isGreaterThan(1e-3);
  }

  @Test
  void anImpossibleTargetIsRefusedWithTheBestAchievable() {
    assertThatThrownBy(() -> Reliability.neighboursFor(10, 0.6, 1e-6))
        .isInstanceOfSatisfying(FedGridException.class, e -> {
          assertThat(e.code()).isEqualTo("SECAGG_DROPOUT_TOO_HIGH");
          assertThat(e.details()).containsKey("best");
        });
    assertThatThrownBy(() -> Reliability.abandonProbability(10, 12, 7, 0.1)).isInstanceOf(FedGridException.class);
    assertThatThrownBy(() -> Reliability.abandonProbability(10, 4, 3, Double.NaN)).isInstanceOf(FedGridException.class);
    assertThatThrownBy(() -> Reliability.neighboursFor(10, 0.1, 0)).isInstanceOf(FedGridException.class);
  }

  @Property(tries = 200)
  void moreDropOutNeverMakesARoundSafer(
      @ForAll @IntRange(min = 10, max = 2000) int n, @ForAll @DoubleRange(min = 0, max = 0.8) double p, @ForAll @DoubleRange(min = 0, max = 0.15) double more) {
    int k = Math.min(n - 1, 2 * (32 - Integer.numberOfLeadingZeros(n - 1)));
    int t = Reliability.majority(k);
    assertThat(Reliability.abandonProbability(n, k, t, Math.min(0.95, p + more)))
        .isGreaterThanOrEqualTo(Reliability.abandonProbability(n, k, t, p) - 1e-15);
  }

  @Property(tries = 100)
  void theChosenGraphMeetsTheTargetOrNoGraphCan(@ForAll @IntRange(min = 20, max = 5000) int n, @ForAll @DoubleRange(min = 0, max = 0.25) double p) {
    int k;
    try {
      k = Reliability.neighboursFor(n, p, 1e-3);
    } catch (FedGridException e) {
      // refused only when even the densest allowed graph misses the target
      int most = Math.min(n - 1, SecAggConfig.MAX_NEIGHBOURS);
      if ((long) n * most % 2 != 0) most--;
      assertThat(Reliability.abandonProbability(n, most, Reliability.majority(most), p)).isGreaterThan(1e-3);
      return;
    }
    assertThat((long) n * k % 2).isZero();
    assertThat(Reliability.abandonProbability(n, k, Reliability.majority(k), p)).isLessThanOrEqualTo(1e-3);
  }
}
