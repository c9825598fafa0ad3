package dev.fedgrid.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PartitionersTest {
  /** Every index in [0, rows) exactly once, every part non-empty and sorted. */
  static void assertPartition(List<int[]> parts, int rows, int expectedParts) {
    assertThat(parts).hasSize(expectedParts);
    boolean[] seen = new boolean[rows];
    int total = 0;
    for (int[] part : parts) {
      assertThat(part).isNotEmpty().isSorted();
      for (int i : part) {
        assertThat(seen[i]).as("index %d appears twice", i).isFalse();
        seen[i] = true;
      }
      total += part.length;
    }
    assertThat(total).isEqualTo(rows);
  }

  static int[] labels(int rows, int classes, long seed) {
    var rng = new Random(seed);
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) labels[i] = rng.nextInt(classes) - classes / 2; // negative labels too
    return labels;
  }

  @Property(tries = 200)
  void iidCoversEveryRowOnceInBalancedParts(@ForAll @IntRange(min = 1, max = 2000) int rows, @ForAll @IntRange(min = 1, max = 50) int parts, @ForAll long seed) {
    if (parts > rows) return;
    List<int[]> split = Partitioners.iid(rows, parts, seed);
    assertPartition(split, rows, parts);
    int min = split.stream().mapToInt(p -> p.length).min().orElseThrow();
    int max = split.stream().mapToInt(p -> p.length).max().orElseThrow();
    assertThat(max - min).isLessThanOrEqualTo(1);
  }

  @Property(tries = 100)
  void dirichletCoversEveryRowOnce(
      @ForAll @IntRange(min = 50, max = 3000) int rows,
      @ForAll @IntRange(min = 1, max = 12) int classes,
      @ForAll @IntRange(min = 1, max = 10) int parts,
      @ForAll @DoubleRange(min = 0.3, max = 1000) double alpha,
      @ForAll long seed) {
    assertPartition(Partitioners.dirichlet(labels(rows, classes, seed), parts, alpha, seed), rows, parts);
  }

  @Property(tries = 100)
  void shardsCoverEveryRowOnce(
      @ForAll @IntRange(min = 1, max = 3000) int rows,
      @ForAll @IntRange(min = 1, max = 12) int classes,
      @ForAll @IntRange(min = 1, max = 20) int parts,
      @ForAll @IntRange(min = 1, max = 4) int shardsPerPart,
      @ForAll long seed) {
    if (parts * shardsPerPart > rows) return;
    assertPartition(Partitioners.shards(labels(rows, classes, seed), parts, shardsPerPart, seed), rows, parts);
  }

  @Test
  void theSameSeedGivesTheSameSplitAndAnotherSeedAnother() {
    int[] labels = labels(1000, 10, 1);
    assertThat(Partitioners.iid(1000, 7, 5)).usingRecursiveComparison().isEqualTo(Partitioners.iid(1000, 7, 5));
    assertThat(Partitioners.dirichlet(labels, 7, 0.5, 5)).usingRecursiveComparison().isEqualTo(Partitioners.dirichlet(labels, 7, 0.5, 5));
    assertThat(Partitioners.shards(labels, 7, 2, 5)).usingRecursiveComparison().isEqualTo(Partitioners.shards(labels, 7, 2, 5));
    assertThat(Partitioners.iid(1000, 7, 5).getFirst()).isNotEqualTo(Partitioners.iid(1000, 7, 6).getFirst());
    assertThat(Partitioners.dirichlet(labels, 7, 0.5, 5).getFirst()).isNotEqualTo(Partitioners.dirichlet(labels, 7, 0.5, 6).getFirst());
    assertThat(Partitioners.shards(labels, 7, 2, 5).getFirst()).isNotEqualTo(Partitioners.shards(labels, 7, 2, 6).getFirst());
  }

  /** Mean over parts of the total variation distance between a part's label distribution and the global one. */
  static double meanLabelSkew(List<int[]> parts, int[] labels, int classes) {
    double[] global = new double[classes];
    for (int l : labels) global[l]++;
    for (int c = 0; c < classes; c++) global[c] /= labels.length;
    double skew = 0;
    for (int[] part : parts) {
      double[] local = new double[classes];
      for (int i : part) local[labels[i]]++;
      double distance = 0;
      for (int c = 0; c < classes; c++) distance += Math.abs(local[c] / part.length - global[c]);
      skew += distance / 2;
    }
    return skew / parts.size();
  }

  @Test
  void dirichletWithALargeAlphaIsNearlyIidAndWithASmallAlphaIsSkewed() {
    int classes = 10;
    int[] labels = new int[10_000];
    for (int i = 0; i < labels.length; i++) labels[i] = i % classes;
    double iid = meanLabelSkew(Partitioners.iid(labels.length, 10, 3), labels, classes);
    double large = meanLabelSkew(Partitioners.dirichlet(labels, 10, 1000, 3), labels, classes);
    double small = meanLabelSkew(Partitioners.dirichlet(labels, 10, 0.1, 3), labels, classes);
    assertThat(iid).isLessThan(0.05);
    assertThat(large).isLessThan(0.05);
    assertThat(small).isGreaterThan(0.5);
  }

  @Test
  void shardsGiveEachPartFewLabels() {
    int classes = 10;
    int[] labels = new int[6000];
    for (int i = 0; i < labels.length; i++) labels[i] = (i * 7) % classes; // 600 per class, interleaved
    // 100 parts x 2 shards of 30 rows: every shard lies within one class
    List<int[]> parts = Partitioners.shards(labels, 100, 2, 11);
    assertPartition(parts, labels.length, 100);
    for (int[] part : parts) {
      var distinct = new HashSet<Integer>();
      for (int i : part) distinct.add(labels[i]);
      assertThat(distinct.size()).isBetween(1, 2);
    }
  }

  @Test
  void dirichletLabelsMayBeAnyInts() {
    int[] labels = {7, -3, 7, 1_000_000, -3, 7, 1_000_000, 7};
    assertPartition(Partitioners.dirichlet(labels, 3, 5, 1), labels.length, 3);
  }

  @Test
  void refusesSplitsThatCannotFillEveryPart() {
    assertThatThrownBy(() -> Partitioners.iid(3, 4, 1)).isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_PARTITION")).hasMessageContaining("at most 3 parts");
    assertThatThrownBy(() -> Partitioners.iid(3, 0, 1)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> Partitioners.shards(new int[10], 3, 4, 1)).isInstanceOf(InvalidRequestException.class).hasMessageContaining("12 rows");
    assertThatThrownBy(() -> Partitioners.shards(new int[10], 3, 0, 1)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> Partitioners.dirichlet(new int[10], 2, 0, 1)).isInstanceOf(InvalidRequestException.class).hasMessageContaining("alpha");
    assertThatThrownBy(() -> Partitioners.dirichlet(new int[10], 2, Double.NaN, 1)).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void dirichletGivesUpWithAClearMessageWhenTinyAlphaCannotFillTheParts() {
    // one class, 50 parts, alpha 0.001: nearly all of the class lands in one part on every draw
    int[] labels = new int[200];
    assertThatThrownBy(() -> Partitioners.dirichlet(labels, 50, 0.001, 1))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_PARTITION"))
        .hasMessageContaining("raise alpha or use fewer parts");
  }

  @Property(tries = 30)
  void gammaVariatesHaveTheRightMeanAndVariance(@ForAll @DoubleRange(min = 0.05, max = 50) double shape, @ForAll long seed) {
    var rng = new SplittableRandom(seed);
    int n = 20_000;
    double sum = 0;
    double squares = 0;
    for (int i = 0; i < n; i++) {
      double g = Math.exp(Partitioners.logGamma(shape, rng));
      sum += g;
      squares += g * g;
    }
    double mean = sum / n;
    double variance = squares / n - mean * mean;
    // Gamma(k, 1): mean k, variance k; standard error of the mean sqrt(k / n)
    assertThat(mean).isCloseTo(shape, within(6 * Math.sqrt(shape / n)));
    assertThat(variance).isCloseTo(shape, within(shape * (shape < 0.2 ? 0.5 : 0.15)));
  }

  @Test
  void dirichletVectorsSumToOneEvenForTinyAlpha() {
    var rng = new SplittableRandom(9);
    for (double alpha : new double[] {1e-3, 0.1, 1, 100}) {
      double[] p = Partitioners.dirichletVector(20, alpha, rng);
      assertThat(Arrays.stream(p).sum()).isCloseTo(1.0, within(1e-12));
      assertThat(Arrays.stream(p).allMatch(x -> x >= 0 && x <= 1)).isTrue();
    }
  }
}
