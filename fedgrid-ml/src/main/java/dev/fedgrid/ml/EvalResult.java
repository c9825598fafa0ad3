package dev.fedgrid.ml;

import java.util.Map;

/**
 * Evaluation metrics over {@code examples} examples: {@code loss} always; {@code accuracy} for
 * classification; {@code auc} for binary classification; {@code mse} and {@code mae} for
 * regression.
 */
public record EvalResult(long examples, Map<String, Double> metrics) {
  public EvalResult {
    metrics = Map.copyOf(metrics);
  }
}
