package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.core.round.RoundTask;
import dev.fedgrid.gateway.fleet.TaskAssignment;

/**
 * A round driver's task as the fleet API serves it, until forgotten: the {@link RoundTask} (its
 * state, starting parameters and the way back to its phase) with the assignment a node pulls and
 * the most examples its dataset can honestly report. Thread-safe: state lives in the round task.
 */
final class OpenTask {
  final TaskAssignment assignment;
  final NodeId node;
  final RoundTask task;
  /** Most examples the node's dataset can honestly report for this task. */
  final long maxExamples;

  OpenTask(TaskAssignment assignment, RoundTask task, long maxExamples) {
    this.assignment = assignment;
    this.node = task.node();
    this.task = task;
    this.maxExamples = maxExamples;
  }

  boolean open() {
    return task.open();
  }

  /** The parameters the task starts from, or {@code null} once it closed. */
  Parameters start() {
    return task.start();
  }
}
