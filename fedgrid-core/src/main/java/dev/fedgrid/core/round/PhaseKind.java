package dev.fedgrid.core.round;

/** The two phases of a round: what a {@link RoundTask} asks its node to do. */
public enum PhaseKind {
  /** Train from the global parameters and send back the new ones. */
  FIT,
  /** Evaluate the new global parameters on the node's test split and send back metrics. */
  EVALUATE;

  /** {@code "fit"} or {@code "evaluate"}, as in {@link dev.fedgrid.api.job.NodeFailure#phase()}. */
  public String wireName() {
    return this == FIT ? "fit" : "evaluate";
  }
}
