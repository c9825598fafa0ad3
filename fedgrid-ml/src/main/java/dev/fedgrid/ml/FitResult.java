package dev.fedgrid.ml;

import dev.fedgrid.api.model.Parameters;
import java.util.Map;

/**
 * The outcome of local training.
 *
 * @param parameters the trained parameters, in the spec's layout
 * @param examples training examples per epoch (the update's weight)
 * @param metrics at least {@code loss} (mean training loss over the last epoch) and, for
 *     classification, {@code accuracy} on the training data
 */
public record FitResult(Parameters parameters, long examples, Map<String, Double> metrics) {
  public FitResult {
    metrics = Map.copyOf(metrics);
  }
}
