package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.gateway.fleet.TaskAssignment;

/**
 * A task handed to a node and not yet forgotten: its assignment, the parameters it starts from
 * (dropped once it closes) and the phase that collects its result. Thread-safe: state changes go
 * through its {@link Phase}'s lock.
 */
final class OpenTask {
  final TaskAssignment assignment;
  final NodeId node;
  final Phase phase;
  /** Most examples the node's dataset can honestly report for this task. */
  final long maxExamples;
  private volatile Parameters start;
  private volatile boolean open = true;
  private volatile boolean delivered;

  OpenTask(TaskAssignment assignment, NodeId node, Parameters start, Phase phase, long maxExamples) {
    this.assignment = assignment;
    this.maxExamples = maxExamples;
    this.node = node;
    this.start = start;
    this.phase = phase;
  }

  boolean open() {
    return open;
  }

  Parameters start() {
    return start;
  }

  /** Whether the node's result arrived (as opposed to the task failing or timing out). */
  boolean delivered() {
    return delivered;
  }

  /** Called by the phase under its lock. */
  void close(boolean resultArrived) {
    delivered = resultArrived;
    open = false;
    start = null;
  }
}
