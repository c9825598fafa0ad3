package dev.fedgrid.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

/** Quantity skew: the alpha sets the spread of node sizes, every node holds a row, the seed fixes the split. */
class PopulationTest {
  private static final int ROWS = 60_000;
  private static final int NODES = 100;

  @Test
  void aSmallerAlphaSpreadsTheNodeSizesMore() {
    double[] alphas = {0.1, 1, 10, 100};
    double[] cv = new double[alphas.length];
    for (int a = 0; a < alphas.length; a++) cv[a] = coefficientOfVariation(sizes(new Population(NODES, Population.Split.QUANTITY_SKEW, alphas[a], 0, 0, labels(ROWS), 11)));
    // a Dirichlet(alpha) share of 100 nodes has coefficient of variation sqrt(0.99 / (100 alpha + 1)) / 0.01:
    // 3.0, 0.99, 0.31 and 0.10 for these alphas
    assertThat(cv[0]).isGreaterThan(1.8);
    assertThat(cv[1]).isBetween(0.6, 1.5);
    assertThat(cv[2]).isBetween(0.2, 0.45);
    assertThat(cv[3]).isLessThan(0.15);
  }

  @Test
  void everyRowGoesToExactlyOneNodeAndEveryNodeGetsOne() {
    for (double alpha : new double[] {0.0001, 0.01, 0.5, 50}) {
      for (int rows : new int[] {NODES, NODES + 7, ROWS}) {
        var pop = new Population(NODES, Population.Split.QUANTITY_SKEW, alpha, 0, 0, labels(rows), 3);
        var seen = new BitSet(rows);
        int total = 0;
        for (int n = 0; n < NODES; n++) {
          int[] mine = pop.rows(n);
          assertThat(mine).as("alpha %s, %d rows, node %d", alpha, rows, n).isNotEmpty();
          for (int r : mine) {
            assertThat(seen.get(r)).as("row %d given twice", r).isFalse();
            seen.set(r);
          }
          total += mine.length;
        }
        assertThat(total).isEqualTo(rows);
        assertThat(seen.cardinality()).isEqualTo(rows);
      }
    }
  }

  @Test
  void aTinyAlphaGivesNearlyEverythingToOneNode() {
    // Gamma(0.0001) draws underflow to 0 as doubles; in logs one node still takes nearly all rows
    int[] sizes = sizes(new Population(NODES, Population.Split.QUANTITY_SKEW, 0.0001, 0, 0, labels(ROWS), 5));
    assertThat(Arrays.stream(sizes).max().orElseThrow()).isGreaterThan(ROWS - 2 * NODES);
  }

  @Test
  void theSameSeedGivesTheSamePartitionAndAnotherSeedAnother() {
    var a = new Population(NODES, Population.Split.QUANTITY_SKEW, 0.5, 0, 0, labels(ROWS), 42);
    var b = new Population(NODES, Population.Split.QUANTITY_SKEW, 0.5, 0, 0, labels(ROWS), 42);
    var c = new Population(NODES, Population.Split.QUANTITY_SKEW, 0.5, 0, 0, labels(ROWS), 43);
    for (int n = 0; n < NODES; n++) assertThat(a.rows(n)).isEqualTo(b.rows(n));
    assertThat(sizes(a)).isNotEqualTo(sizes(c));
  }

  @Test
  void aLazyPopulationKeepsTheMeanAndTheSpread() {
    int rowsPerNode = 16;
    int nodes = 20_000;
    var skewed = new Population(nodes, Population.Split.QUANTITY_SKEW, 0.5, 0, rowsPerNode, labels(1_000), 9);
    var even = new Population(nodes, Population.Split.QUANTITY_SKEW, 50, 0, rowsPerNode, labels(1_000), 9);
    assertThat(skewed.lazy()).isTrue();
    int[] s = sizes(skewed);
    assertThat(Arrays.stream(s).min().orElseThrow()).isGreaterThanOrEqualTo(1);
    assertThat(Arrays.stream(s).average().orElseThrow()).isBetween(rowsPerNode * 0.9, rowsPerNode * 1.1);
    // Gamma(alpha) / alpha has coefficient of variation 1/sqrt(alpha): 1.41 and 0.14 (rounding adds a little)
    assertThat(coefficientOfVariation(s)).isBetween(1.2, 1.6);
    assertThat(coefficientOfVariation(sizes(even))).isLessThan(0.25);
    assertThat(skewed.rows(12_345)).isEqualTo(new Population(nodes, Population.Split.QUANTITY_SKEW, 0.5, 0, rowsPerNode, labels(1_000), 9).rows(12_345));
  }

  @Test
  void anAlphaThatIsNotFiniteAndPositiveIsRefused() {
    for (double alpha : new double[] {0, -0.5, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> new Population(NODES, Population.Split.QUANTITY_SKEW, alpha, 0, 0, labels(ROWS), 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("quantity-skew alpha must be finite and greater than 0, got " + alpha);
      assertThatThrownBy(() -> new Population(10 * ROWS, Population.Split.DIRICHLET, alpha, 0, 8, labels(ROWS), 1))
          .hasMessageContaining("dirichlet alpha");
    }
    // splits without an alpha ignore it
    assertThat(new Population(NODES, Population.Split.IID, 0, 0, 0, labels(ROWS), 1).rows(0)).isNotEmpty();
  }

  private static int[] labels(int rows) {
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) labels[i] = i % 10;
    return labels;
  }

  private static int[] sizes(Population pop) {
    int[] sizes = new int[pop.size()];
    for (int n = 0; n < sizes.length; n++) sizes[n] = pop.rows(n).length;
    return sizes;
  }

  private static double coefficientOfVariation(int[] sizes) {
    double mean = Arrays.stream(sizes).average().orElseThrow();
    double var = Arrays.stream(sizes).mapToDouble(s -> (s - mean) * (s - mean)).sum() / (sizes.length - 1);
    return Math.sqrt(var) / mean;
  }
}
