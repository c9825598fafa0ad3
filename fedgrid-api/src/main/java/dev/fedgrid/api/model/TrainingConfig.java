package dev.fedgrid.api.model;

import dev.fedgrid.api.InvalidRequestException;

/**
 * How each node trains locally in one round: epochs over its training split, mini-batch size,
 * optimizer and learning rate, and the seed that makes shuffling, dropout and initialization
 * reproducible. Fields left {@code null} in JSON take the defaults shown below.
 *
 * @param epochs local epochs per round (default 1)
 * @param batchSize mini-batch size (default 32)
 * @param optimizer SGD (default) or Adam
 * @param learningRate step size (default: the optimizer's default, 0.1 for SGD, 0.001 for Adam)
 * @param momentum SGD momentum in [0, 1) (default 0)
 * @param seed seed for shuffling and dropout (default 42)
 */
public record TrainingConfig(
    Integer epochs, Integer batchSize, Optimizer optimizer, Double learningRate, Double momentum, Long seed) {
  public static final int MAX_EPOCHS = 1000;
  public static final int MAX_BATCH_SIZE = 1 << 16;

  public TrainingConfig {
    epochs = epochs == null ? 1 : epochs;
    batchSize = batchSize == null ? 32 : batchSize;
    optimizer = optimizer == null ? Optimizer.SGD : optimizer;
    learningRate = learningRate == null ? optimizer.defaultLearningRate() : learningRate;
    momentum = momentum == null ? 0.0 : momentum;
    seed = seed == null ? 42L : seed;
    if (epochs < 1 || epochs > MAX_EPOCHS) {
      throw new InvalidRequestException("INVALID_TRAINING_CONFIG", "epochs must be in [1, " + MAX_EPOCHS + "], got " + epochs);
    }
    if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new InvalidRequestException("INVALID_TRAINING_CONFIG", "batchSize must be in [1, " + MAX_BATCH_SIZE + "], got " + batchSize);
    }
    if (!(learningRate > 0 && learningRate <= 10)) {
      throw new InvalidRequestException("INVALID_TRAINING_CONFIG", "learningRate must be in (0, 10], got " + learningRate);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new InvalidRequestException("INVALID_TRAINING_CONFIG", "momentum must be in [0, 1), got " + momentum);
    }
  }

  /** All defaults. */
  public static TrainingConfig defaults() {
    return new TrainingConfig(null, null, null, null, null, null);
  }
}
