package dev.fedgrid.core.data;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.FeatureScaling;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Pools the column statistics of several datasets into the one feature scaling every node of a job
 * applies, without any row leaving its node. Thread-safe (stateless).
 */
public final class FeatureStats {
  private FeatureStats() {}

  /**
   * The standardization {@code x' = (x - mean) / stddev} of the datasets' union, per column.
   *
   * <p>Exact pooling of population statistics (the parallel form of Chan, Golub and LeVeque 1979,
   * "Updating Formulae and a Pairwise Algorithm for Computing Sample Variances"): with {@code n_i},
   * {@code m_i}, {@code s_i} each dataset's count, mean and population standard deviation,
   *
   * <pre>
   *   N = sum n_i;   mean = sum n_i m_i / N;   var = sum n_i (s_i^2 + (m_i - mean)^2) / N
   * </pre>
   *
   * which equals the population variance of the concatenated rows, and, being a sum of non-negative
   * terms, loses no precision to cancellation. The scale is {@code sqrt(var)}, or 1 for a constant
   * column. Datasets with a count of 0 contribute nothing. {@code O(datasets * columns)}.
   *
   * @param perDataset each dataset's statistics, one entry per feature column, in the same column
   *     order for every dataset
   * @return the pooled means and scales, one per column
   * @throws InvalidRequestException with code {@code SCHEMA_MISMATCH} when the datasets' column names
   *     or order differ, {@code NO_DATA} when there is no dataset, no column, or a column without
   *     any value, or {@code INVALID_DATASET} when a column's values are too large to pool in double
   */
  public static FeatureScaling pool(List<List<ColumnStats>> perDataset) {
    Objects.requireNonNull(perDataset, "perDataset");
    if (perDataset.isEmpty() || perDataset.getFirst().isEmpty()) {
      throw new InvalidRequestException("NO_DATA", "pooling feature statistics needs at least one dataset with at least one column");
    }
    List<ColumnStats> first = perDataset.getFirst();
    for (int d = 1; d < perDataset.size(); d++) {
      List<ColumnStats> other = perDataset.get(d);
      for (int j = 0; j < Math.max(first.size(), other.size()); j++) {
        String expected = j < first.size() ? first.get(j).name() : "(none)";
        String actual = j < other.size() ? other.get(j).name() : "(none)";
        if (!expected.equals(actual)) {
          throw new InvalidRequestException(
              "SCHEMA_MISMATCH",
              "dataset " + d + " has column " + actual + " at position " + j + " where dataset 0 has " + expected
                  + "; choose datasets with the same feature columns in the same order",
              Map.of("dataset", d, "position", j));
        }
      }
    }
    var means = new ArrayList<Double>(first.size());
    var scales = new ArrayList<Double>(first.size());
    for (int j = 0; j < first.size(); j++) {
      double total = 0;
      double weighted = 0;
      for (List<ColumnStats> dataset : perDataset) {
        ColumnStats s = dataset.get(j);
        total += s.count();
        weighted += s.count() * s.mean();
      }
      if (total == 0) {
        throw new InvalidRequestException(
            "NO_DATA", "column " + first.get(j).name() + " has no values in any of the datasets; drop the column or add data");
      }
      double mean = weighted / total;
      double squares = 0;
      for (List<ColumnStats> dataset : perDataset) {
        ColumnStats s = dataset.get(j);
        double shift = s.mean() - mean;
        squares += s.count() * (s.stddev() * s.stddev() + shift * shift);
      }
      double stddev = Math.sqrt(squares / total);
      if (!Double.isFinite(mean) || !Double.isFinite(stddev)) {
        throw new InvalidRequestException(
            "INVALID_DATASET", "column " + first.get(j).name() + " has values too large to pool (beyond 1e154); rescale the column at its source");
      }
      means.add(mean);
      scales.add(stddev > 0 ? stddev : 1.0);
    }
    return new FeatureScaling(means, scales);
  }
}
