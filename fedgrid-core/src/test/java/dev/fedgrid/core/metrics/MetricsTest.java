package dev.fedgrid.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.InvalidRequestException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void weighsEachMetricByExamples() {
    var mean =
        Metrics.weightedMean(
            List.of(
                new WeightedMetrics(100, Map.of("loss", 1.0, "accuracy", 0.5)),
                new WeightedMetrics(300, Map.of("loss", 2.0, "accuracy", 0.9))));
    assertThat(mean).containsOnlyKeys("accuracy", "loss");
    assertThat(mean.get("loss")).isCloseTo(1.75, within(1e-12));
    assertThat(mean.get("accuracy")).isCloseTo(0.8, within(1e-12));
    assertThat(mean.keySet()).containsExactly("accuracy", "loss"); // sorted
  }

  @Test
  void averagesAMissingKeyOverTheEntriesThatHaveIt() {
    var mean =
        Metrics.weightedMean(
            List.of(
                new WeightedMetrics(10, Map.of("loss", 1.0)),
                new WeightedMetrics(30, Map.of("loss", 3.0, "auc", 0.7)),
                new WeightedMetrics(60, Map.of("auc", 0.9))));
    assertThat(mean.get("loss")).isCloseTo(2.5, within(1e-12));
    assertThat(mean.get("auc")).isCloseTo((30 * 0.7 + 60 * 0.9) / 90, within(1e-12));
  }

  @Test
  void ignoresNonFiniteValuesAndEntriesWithoutExamples() {
    var mean =
        Metrics.weightedMean(
            List.of(
                new WeightedMetrics(10, Map.of("loss", 1.0, "f1", Double.NaN)),
                new WeightedMetrics(10, Map.of("loss", Double.POSITIVE_INFINITY, "f1", Double.NaN)),
                new WeightedMetrics(0, Map.of("loss", 50.0, "recall", 0.3))));
    assertThat(mean).containsExactlyEntriesOf(Map.of("loss", 1.0));
  }

  @Test
  void nothingGivesNothing() {
    assertThat(Metrics.weightedMean(List.of())).isEmpty();
  }

  @Test
  void refusesNegativeExamples() {
    assertThatThrownBy(() -> new WeightedMetrics(-1, Map.of()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_METRICS"));
  }

  @Property(tries = 200)
  void liesBetweenTheSmallestAndLargestValue(
      @ForAll @Size(min = 1, max = 20) List<@DoubleRange(min = -1e6, max = 1e6) Double> values,
      @ForAll @LongRange(min = 1, max = 1_000_000) long examples) {
    var entries = new ArrayList<WeightedMetrics>();
    for (int i = 0; i < values.size(); i++) {
      var m = new HashMap<String, Double>();
      m.put("x", values.get(i));
      entries.add(new WeightedMetrics(examples + i, m));
    }
    double mean = Metrics.weightedMean(entries).get("x");
    double min = values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    double max = values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    assertThat(mean).isBetween(min - 1e-9 * Math.abs(min) - 1e-9, max + 1e-9 * Math.abs(max) + 1e-9);
  }
}
