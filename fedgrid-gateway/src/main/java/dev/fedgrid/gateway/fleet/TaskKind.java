package dev.fedgrid.gateway.fleet;

/** What a task asks a node to do. */
public enum TaskKind {
  /** Train from the given parameters and send back the new ones. */
  FIT,
  /** Evaluate the given parameters on the node's test split and send back metrics. */
  EVALUATE
}
