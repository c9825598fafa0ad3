package dev.fedgrid.api.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The local optimizer nodes train with. */
public enum Optimizer {
  /** Stochastic gradient descent, with optional momentum. */
  @JsonProperty("sgd")
  SGD(0.1),
  /** Adam (Kingma and Ba 2015) with beta1 0.9 and beta2 0.999. */
  @JsonProperty("adam")
  ADAM(0.001);

  private final double defaultLearningRate;

  Optimizer(double defaultLearningRate) {
    this.defaultLearningRate = defaultLearningRate;
  }

  /** The learning rate used when a job does not set one. */
  public double defaultLearningRate() {
    return defaultLearningRate;
  }
}
