package dev.fedgrid.core.metrics;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Map;

/**
 * One node's metrics and the number of examples they were measured on, the input of {@link
 * Metrics#weightedMean}. Immutable.
 *
 * @param examples the number of examples behind the metrics; their weight, at least 0
 * @param metrics metric values by name, such as {@code loss} or {@code accuracy}
 */
public record WeightedMetrics(long examples, Map<String, Double> metrics) {
  /** @throws InvalidRequestException with code {@code INVALID_METRICS} when {@code examples} is negative */
  public WeightedMetrics {
    if (examples < 0) {
      throw new InvalidRequestException("INVALID_METRICS", "metrics must cover at least 0 examples, got " + examples);
    }
    metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
  }
}
