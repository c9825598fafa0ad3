package dev.fedgrid.core.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.UnavailableException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class WeightedSumTest {
  /** Updates and weights of one random aggregation. */
  record Batch(List<float[]> updates, double[] weights) {
    int size() {
      return updates.getFirst().length;
    }

    /** The weighted mean computed in double, the reference. */
    double[] reference() {
      double[] sum = new double[size()];
      double total = 0;
      for (int k = 0; k < updates.size(); k++) {
        for (int i = 0; i < sum.length; i++) sum[i] += weights[k] * updates.get(k)[i];
        total += weights[k];
      }
      for (int i = 0; i < sum.length; i++) sum[i] /= total;
      return sum;
    }

    /** Error bound from the class javadoc: a small multiple of n 2^-24 times the mean magnitude. */
    double[] tolerance() {
      double[] scale = new double[size()];
      double total = Arrays.stream(weights).sum();
      for (int k = 0; k < updates.size(); k++) {
        for (int i = 0; i < scale.length; i++) scale[i] += weights[k] * Math.abs(updates.get(k)[i]) / total;
      }
      for (int i = 0; i < scale.length; i++) scale[i] = 4.0 * (updates.size() + 1) * Math.ulp(1.0f) * scale[i] + Float.MIN_NORMAL;
      return scale;
    }

    float[] aggregate(Kernel kernel) {
      var sum = new WeightedSum(size(), kernel);
      for (int k = 0; k < updates.size(); k++) sum.add(updates.get(k), weights[k]);
      return sum.mean();
    }
  }

  @Provide
  Arbitrary<Batch> batches() {
    // sizes around and between vector lengths (8, 16), and counts around the batch of 4
    Arbitrary<Integer> sizes = Arbitraries.oneOf(Arbitraries.integers().between(0, 40), Arbitraries.integers().between(1000, 1100));
    Arbitrary<Integer> counts = Arbitraries.integers().between(1, 13);
    return Combinators.combine(sizes, counts, Arbitraries.longs())
        .as(
            (size, count, seed) -> {
              var rng = new Random(seed);
              var updates = new ArrayList<float[]>();
              double[] weights = new double[count];
              for (int k = 0; k < count; k++) {
                float[] u = new float[size];
                for (int i = 0; i < size; i++) u[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(7) - 3));
                updates.add(u);
                weights[k] = 1 + rng.nextInt(5000);
              }
              return new Batch(updates, weights);
            });
  }

  @Property(tries = 200)
  void matchesTheWeightedMeanInDouble(@ForAll("batches") Batch batch) {
    float[] mean = batch.aggregate(Kernel.PLAIN);
    double[] expected = batch.reference();
    double[] tolerance = batch.tolerance();
    for (int i = 0; i < mean.length; i++) {
      assertThat((double) mean[i]).as("element %d", i).isCloseTo(expected[i], offset(tolerance[i]));
    }
  }

  @Property(tries = 200)
  void vectorAndPlainKernelsAgreeBitForBit(@ForAll("batches") Batch batch) {
    assertThat(batch.aggregate(Kernel.VECTOR)).isEqualTo(batch.aggregate(Kernel.PLAIN));
  }

  @Property(tries = 100)
  void isIndependentOfOrderWithinTolerance(@ForAll("batches") Batch batch, @ForAll long seed) {
    var order = new ArrayList<Integer>();
    for (int k = 0; k < batch.updates().size(); k++) order.add(k);
    Collections.shuffle(order, new Random(seed));
    var shuffled =
        new Batch(order.stream().map(batch.updates()::get).toList(), order.stream().mapToDouble(k -> batch.weights()[k]).toArray());
    float[] a = batch.aggregate(Kernel.preferred());
    float[] b = shuffled.aggregate(Kernel.preferred());
    double[] tolerance = batch.tolerance();
    for (int i = 0; i < a.length; i++) {
      assertThat((double) a[i]).isCloseTo(b[i], offset(2 * tolerance[i]));
    }
  }

  @Property(tries = 100)
  void oneUpdateComesBackExactly(@ForAll("batches") Batch batch, @ForAll("kernels") Kernel kernel) {
    var sum = new WeightedSum(batch.size(), kernel);
    sum.add(batch.updates().getFirst(), batch.weights()[0]);
    assertThat(sum.mean()).isEqualTo(batch.updates().getFirst());
  }

  @Property(tries = 100)
  void equalWeightsGiveTheArithmeticMean(@ForAll("batches") Batch batch, @ForAll @IntRange(min = 1, max = 1000) int weight) {
    double[] equal = new double[batch.weights().length];
    Arrays.fill(equal, weight);
    var unweighted = new Batch(batch.updates(), equal);
    float[] mean = unweighted.aggregate(Kernel.preferred());
    double[] tolerance = unweighted.tolerance();
    for (int i = 0; i < mean.length; i++) {
      double arithmetic = 0;
      for (float[] u : batch.updates()) arithmetic += u[i];
      arithmetic /= batch.updates().size();
      assertThat((double) mean[i]).isCloseTo(arithmetic, offset(tolerance[i]));
    }
  }

  @Provide
  Arbitrary<Kernel> kernels() {
    return Arbitraries.of(Kernel.values());
  }

  @Test
  void twoEqualWeightsGiveTheCorrectlyRoundedMean() {
    float[] a = {1f, 0.1f, -3f, 1e30f, 7f};
    float[] b = {2f, 0.2f, 5f, 3e30f, Math.nextUp(7f)};
    var sum = new WeightedSum(a.length);
    sum.add(a, 3);
    sum.add(b, 3);
    float[] expected = new float[a.length];
    for (int i = 0; i < a.length; i++) expected[i] = (float) (((double) a[i] + b[i]) / 2);
    assertThat(sum.mean()).isEqualTo(expected);
  }

  @Test
  void weighsByTheGivenWeights() {
    var sum = new WeightedSum(2);
    sum.add(new float[] {1, 10}, 1);
    sum.add(new float[] {4, 40}, 3);
    assertThat(sum.mean()).containsExactly(3.25f, 32.5f);
    assertThat(sum.totalWeight()).isEqualTo(4.0);
    assertThat(sum.count()).isEqualTo(2);
  }

  @Test
  void foldsEveryFourUpdatesSoTheyAreNoLongerRead() {
    var sum = new WeightedSum(3);
    var updates = new ArrayList<float[]>();
    for (int k = 0; k < 4; k++) {
      float[] u = {k, 2 * k, 3 * k};
      updates.add(u);
      sum.add(u, 1);
    }
    for (float[] u : updates) Arrays.fill(u, Float.NaN); // folded already: must not matter
    float[] fifth = {10, 20, 30};
    sum.add(fifth, 4);
    // (0+1+2+3)/4 = 1.5 with weight 4, then 10 with weight 4
    assertThat(sum.mean()).containsExactly(5.75f, 11.5f, 17.25f);
  }

  @Test
  void keepsAddingAfterAMean() {
    var sum = new WeightedSum(1);
    sum.add(new float[] {2}, 1);
    sum.add(new float[] {4}, 1);
    assertThat(sum.mean()).containsExactly(3f);
    sum.add(new float[] {9}, 2);
    assertThat(sum.mean()).containsExactly(6f);
    assertThat(sum.count()).isEqualTo(3);
  }

  @Test
  void refusesAWrongLengthAndLeavesTheSumUnchanged() {
    var sum = new WeightedSum(3);
    sum.add(new float[] {1, 2, 3}, 1);
    assertThatThrownBy(() -> sum.add(new float[] {1, 2}, 1))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("SHAPE_MISMATCH"))
        .hasMessageContaining("2 values")
        .hasMessageContaining("3");
    assertThat(sum.count()).isEqualTo(1);
    assertThat(sum.mean()).containsExactly(1, 2, 3);
  }

  @Test
  void refusesWeightsThatAreNotPositiveAndFinite() {
    var sum = new WeightedSum(1);
    for (double w : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> sum.add(new float[] {1}, w))
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_WEIGHT"));
    }
    assertThat(sum.count()).isZero();
    assertThat(sum.totalWeight()).isZero();
  }

  @Test
  void theMeanOfNothingIsUnavailable() {
    assertThatThrownBy(() -> new WeightedSum(4).mean())
        .isInstanceOfSatisfying(UnavailableException.class, e -> assertThat(e.code()).isEqualTo("NO_UPDATES"));
  }

  @Test
  void manyUpdatesStayWithinTheDocumentedBound() {
    var rng = new Random(7);
    int n = 1000;
    var updates = new ArrayList<float[]>();
    double[] weights = new double[n];
    for (int k = 0; k < n; k++) {
      float[] u = new float[257];
      for (int i = 0; i < u.length; i++) u[i] = (float) (0.05 + 0.01 * rng.nextGaussian());
      updates.add(u);
      weights[k] = 1 + rng.nextInt(600);
    }
    var batch = new Batch(updates, weights);
    float[] mean = batch.aggregate(Kernel.preferred());
    double[] expected = batch.reference();
    double worst = 0;
    for (int i = 0; i < mean.length; i++) worst = Math.max(worst, Math.abs(mean[i] - expected[i]) / Math.abs(expected[i]));
    // the worst-case bound is about n 2^-24 = 6e-5; the typical error is far smaller
    assertThat(worst).isLessThan(1e-5);
  }

  @Test
  void thePropertyForcesThePlainKernel() {
    String before = System.getProperty(Kernel.VECTOR_PROPERTY);
    try {
      System.setProperty(Kernel.VECTOR_PROPERTY, "false");
      assertThat(Kernel.preferred()).isEqualTo(Kernel.PLAIN);
      assertThat(new WeightedSum(3).kernel()).isEqualTo(Kernel.PLAIN);
      System.clearProperty(Kernel.VECTOR_PROPERTY);
      // the test JVM runs with --add-modules jdk.incubator.vector (see the parent pom)
      assertThat(Kernel.preferred()).isEqualTo(Kernel.VECTOR);
    } finally {
      if (before == null) System.clearProperty(Kernel.VECTOR_PROPERTY);
      else System.setProperty(Kernel.VECTOR_PROPERTY, before);
    }
  }
}
