package dev.fedgrid.api.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The loss a model is trained with, which also fixes what its output means. */
public enum Loss {
  /** Multi-class classification: the output has one logit per class, labels are 0..k-1. */
  @JsonProperty("softmax_cross_entropy")
  SOFTMAX_CROSS_ENTROPY,
  /** Binary classification: one output logit, labels are 0 or 1. */
  @JsonProperty("binary_cross_entropy")
  BINARY_CROSS_ENTROPY,
  /** Regression: one output, the label is a real number. */
  @JsonProperty("mse")
  MSE
}
