package dev.fedgrid.ml;

import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;

/**
 * The port through which a node trains and evaluates models on its local data. Implementations
 * build a real model from a {@link ModelSpec}, load the given parameters (in the spec's {@link
 * ModelSpec#parameterLayout(java.util.List) layout}), and give back parameters in the same layout.
 *
 * <p>Every implementation passes {@code TrainingEngineContract}. Implementations are thread-safe:
 * several tasks may train at once, each on its own model.
 */
public interface TrainingEngine extends AutoCloseable {
  /**
   * Trains locally, starting from {@code global}, for {@code config.epochs()} epochs over {@code
   * data}. Deterministic for a given seed. Checks {@link Thread#interrupted()} between batches and
   * throws {@link TrainingException} when interrupted.
   *
   * @param proximalMu when positive, adds {@code mu/2 * ||w - global||^2} to the loss (FedProx)
   * @throws TrainingException when the spec does not fit the data or training diverges (NaN loss)
   */
  FitResult fit(
      ModelSpec spec, Parameters global, LocalData data, FeatureScaling scaling, TrainingConfig config, double proximalMu);

  /** Evaluates {@code parameters} on {@code data} (usually the node's test split). */
  EvalResult evaluate(ModelSpec spec, Parameters parameters, LocalData data, FeatureScaling scaling);

  /** Releases native resources. */
  @Override
  void close();
}
