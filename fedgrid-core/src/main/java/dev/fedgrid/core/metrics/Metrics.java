package dev.fedgrid.core.metrics;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Combines the metrics that nodes report after fitting or evaluating into one value per metric.
 * Thread-safe (stateless).
 */
public final class Metrics {
  private Metrics() {}

  /**
   * The mean of each metric weighted by examples: {@code sum(n_k x_k) / sum(n_k)} over the entries
   * that report the metric with a finite value. A metric missing from some entries is averaged over
   * the others; NaN and infinite values are ignored as if missing; a metric with no finite value,
   * or only on entries of zero examples, is left out. {@code O(total number of values)}.
   *
   * @param entries each node's metrics and example count
   * @return the weighted means by metric name, sorted by name, unmodifiable
   */
  public static Map<String, Double> weightedMean(List<WeightedMetrics> entries) {
    var sums = new TreeMap<String, double[]>();
    for (WeightedMetrics e : entries) {
      for (var m : e.metrics().entrySet()) {
        double x = m.getValue();
        if (!Double.isFinite(x) || e.examples() == 0) continue;
        double[] acc = sums.computeIfAbsent(m.getKey(), k -> new double[2]);
        acc[0] += e.examples() * x;
        acc[1] += e.examples();
      }
    }
    var out = new TreeMap<String, Double>();
    for (var s : sums.entrySet()) {
      double mean = s.getValue()[0] / s.getValue()[1];
      if (Double.isFinite(mean)) out.put(s.getKey(), mean);
    }
    return Collections.unmodifiableMap(out);
  }
}
