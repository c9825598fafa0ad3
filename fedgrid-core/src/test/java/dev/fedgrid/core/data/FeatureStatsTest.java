package dev.fedgrid.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.FeatureScaling;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class FeatureStatsTest {
  /** Two-pass population statistics of one column, as a node computes them. */
  static ColumnStats stats(String name, double[] values) {
    double mean = 0;
    for (double v : values) mean += v;
    mean = values.length == 0 ? 0 : mean / values.length;
    double squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    return new ColumnStats(name, values.length, mean, values.length == 0 ? 0 : Math.sqrt(squares / values.length));
  }

  @Property(tries = 200)
  void poolingEqualsTheStatisticsOfTheConcatenatedRows(
      @ForAll @IntRange(min = 1, max = 6) int datasets, @ForAll @IntRange(min = 1, max = 4) int columns, @ForAll long seed) {
    var rng = new Random(seed);
    var perDataset = new ArrayList<List<ColumnStats>>();
    var all = new ArrayList<List<Double>>();
    for (int j = 0; j < columns; j++) all.add(new ArrayList<>());
    for (int d = 0; d < datasets; d++) {
      int rows = d == 0 ? 1 + rng.nextInt(300) : rng.nextInt(300); // some datasets may be empty
      var dataset = new ArrayList<ColumnStats>();
      for (int j = 0; j < columns; j++) {
        double shift = rng.nextGaussian() * 100; // datasets with different means
        double spread = rng.nextDouble() * 10;
        double[] values = new double[rows];
        for (int i = 0; i < rows; i++) {
          values[i] = shift + spread * rng.nextGaussian();
          all.get(j).add(values[i]);
        }
        dataset.add(stats("x" + j, values));
      }
      perDataset.add(dataset);
    }
    FeatureScaling pooled = FeatureStats.pool(perDataset);
    for (int j = 0; j < columns; j++) {
      ColumnStats direct = stats("x" + j, all.get(j).stream().mapToDouble(Double::doubleValue).toArray());
      assertThat(pooled.mean(j)).isCloseTo(direct.mean(), within(1e-9 * (1 + Math.abs(direct.mean()))));
      double expectedScale = direct.stddev() > 0 ? direct.stddev() : 1.0;
      assertThat(pooled.scale(j)).isCloseTo(expectedScale, within(1e-9 * (1 + expectedScale)));
    }
  }

  @Test
  void poolsAHandComputedCase() {
    // {1, 3} and {5, 7, 9}: union mean 5, population variance (16 + 4 + 0 + 4 + 16) / 5 = 8
    var pooled = FeatureStats.pool(List.of(List.of(stats("age", new double[] {1, 3})), List.of(stats("age", new double[] {5, 7, 9}))));
    assertThat(pooled.mean()).containsExactly(5.0);
    assertThat(pooled.scale().getFirst()).isCloseTo(Math.sqrt(8), within(1e-12));
  }

  @Test
  void aConstantColumnGetsScaleOne() {
    var pooled = FeatureStats.pool(List.of(List.of(new ColumnStats("c", 10, 4.0, 0)), List.of(new ColumnStats("c", 5, 4.0, 0))));
    assertThat(pooled.mean()).containsExactly(4.0);
    assertThat(pooled.scale()).containsExactly(1.0);
  }

  @Test
  void refusesDatasetsWithDifferentColumns() {
    var a = List.of(new ColumnStats("age", 3, 1, 1), new ColumnStats("income", 3, 1, 1));
    var swapped = List.of(new ColumnStats("income", 3, 1, 1), new ColumnStats("age", 3, 1, 1));
    var shorter = List.of(new ColumnStats("age", 3, 1, 1));
    for (var other : List.of(swapped, shorter)) {
      assertThatThrownBy(() -> FeatureStats.pool(List.of(a, other)))
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("SCHEMA_MISMATCH"))
          .hasMessageContaining("dataset 1");
    }
  }

  @Test
  void refusesNothingToPool() {
    assertThatThrownBy(() -> FeatureStats.pool(List.of())).isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("NO_DATA"));
    assertThatThrownBy(() -> FeatureStats.pool(List.of(List.of(new ColumnStats("a", 0, 0, 0)))))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("NO_DATA"));
  }
}
