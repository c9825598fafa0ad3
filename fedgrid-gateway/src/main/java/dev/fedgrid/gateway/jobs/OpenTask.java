package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.ResourceUsage;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.core.round.RoundTask;
import dev.fedgrid.gateway.fleet.TaskAssignment;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A round driver's task as the fleet API serves it, until forgotten: the {@link RoundTask} (its
 * state, starting parameters and the way back to its phase) with the assignment a node pulls and
 * the most examples its dataset can honestly report, and what the task used (metered for billing).
 * Thread-safe: state lives in the round task; usage is updated atomically.
 */
final class OpenTask {
  final TaskAssignment assignment;
  final NodeId node;
  final RoundTask task;
  /** Most examples the node's dataset can honestly report for this task. */
  final long maxExamples;
  /** When the coordinator queued it; CPU time reported for it cannot exceed the time since, per core. */
  volatile Instant dispatchedAt = Instant.EPOCH;
  private final AtomicReference<ResourceUsage> usage = new AtomicReference<>(ResourceUsage.NONE);

  OpenTask(TaskAssignment assignment, RoundTask task, long maxExamples) {
    this.assignment = assignment;
    this.node = task.node();
    this.task = task;
    this.maxExamples = maxExamples;
  }

  boolean open() {
    return task.open();
  }

  /** Adds what the task used (parameters streamed, a result delivered). */
  void meter(ResourceUsage used) {
    usage.accumulateAndGet(used, ResourceUsage::plus);
  }

  /** Takes back usage metered for a result that was then refused. */
  void unmeter(ResourceUsage used) {
    usage.accumulateAndGet(used, (a, b) -> new ResourceUsage(a.cpuMicros() - b.cpuMicros(), a.bytesMoved() - b.bytesMoved()));
  }

  ResourceUsage usage() {
    return usage.get();
  }

  /** The parameters the task starts from, or {@code null} once it closed. */
  Parameters start() {
    return task.start();
  }
}
