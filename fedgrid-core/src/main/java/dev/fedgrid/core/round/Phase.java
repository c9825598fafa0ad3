package dev.fedgrid.core.round;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.core.metrics.Metrics;
import dev.fedgrid.core.metrics.WeightedMetrics;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * Collects the results of one phase of a round (all fit tasks, or all evaluate tasks) as they
 * arrive from nodes, until every task has reported or the deadline passes.
 *
 * <p>Fit updates are folded into the strategy's {@link RoundAggregation} on arrival, so the driver
 * holds one running aggregate rather than every update (for the order-independence this needs, see
 * {@link RoundDriver}). Thread-safe: deliveries from many threads are serialized by one lock; the
 * driver waits on its condition.
 */
final class Phase {
  final PhaseKind kind;
  private final RoundAggregation aggregation; // null for evaluate
  private final int epochs;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<RoundTask> tasks = new ArrayList<>();
  private final List<WeightedMetrics> metrics = new ArrayList<>();
  private final List<NodeFailure> failures = new ArrayList<>();
  private final Map<NodeId, Long> contributions = new LinkedHashMap<>();
  private int pending;
  private int delivered;
  private long examples;

  Phase(PhaseKind kind, RoundAggregation aggregation, int epochs) {
    this.kind = kind;
    this.aggregation = aggregation;
    this.epochs = epochs;
  }

  void add(RoundTask task) {
    lock.lock();
    try {
      tasks.add(task);
      pending++;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Folds a fit update into the aggregate. A rejected update closes the task as failed and the
   * error goes back to the node; the aggregate is unchanged.
   */
  void deliverFit(RoundTask task, Parameters parameters, long taskExamples, Map<String, Double> taskMetrics) {
    lock.lock();
    try {
      requireOpen(task, PhaseKind.FIT);
      try {
        aggregation.accept(new FitOutcome.Success(task.node(), parameters, taskExamples, taskMetrics));
      } catch (FedGridException e) {
        failLocked(task, "update rejected: " + e.getMessage());
        throw e;
      }
      metrics.add(new WeightedMetrics(taskExamples, taskMetrics));
      examples += taskExamples;
      contributions.merge(task.node(), taskExamples * epochs, Long::sum);
      delivered++;
      closeLocked(task, true);
    } finally {
      lock.unlock();
    }
  }

  void deliverEvaluation(RoundTask task, long taskExamples, Map<String, Double> taskMetrics) {
    lock.lock();
    try {
      requireOpen(task, PhaseKind.EVALUATE);
      metrics.add(new WeightedMetrics(taskExamples, taskMetrics));
      examples += taskExamples;
      delivered++;
      closeLocked(task, true);
    } finally {
      lock.unlock();
    }
  }

  /** Records that a task failed; no-op when it already closed. */
  void fail(RoundTask task, String reason) {
    lock.lock();
    try {
      if (task.open()) failLocked(task, reason);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until every task reported or {@code deadline} passed on {@code clock}. Every {@code
   * pollEvery} it fails the open tasks of nodes that {@code offline} says went silent, so a dead
   * node does not hold the round until the deadline.
   *
   * @return true when every task reported before the deadline
   */
  boolean await(Instant deadline, InstantSource clock, Duration pollEvery, Predicate<NodeId> offline, String offlineReason)
      throws InterruptedException {
    lock.lock();
    try {
      while (pending > 0) {
        Instant now = clock.instant();
        if (!now.isBefore(deadline)) return false;
        for (RoundTask t : List.copyOf(tasks)) {
          if (t.open() && offline.test(t.node())) failLocked(t, offlineReason);
        }
        if (pending == 0) break;
        long waitNanos = Math.min(Duration.between(now, deadline).toNanos(), pollEvery.toNanos());
        changed.await(Math.max(waitNanos, 1), TimeUnit.NANOSECONDS);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Fails every task still open with {@code reason}. */
  void closeRemaining(String reason) {
    lock.lock();
    try {
      for (RoundTask t : tasks) {
        if (t.open()) failLocked(t, reason);
      }
    } finally {
      lock.unlock();
    }
  }

  int delivered() {
    lock.lock();
    try {
      return delivered;
    } finally {
      lock.unlock();
    }
  }

  long examples() {
    lock.lock();
    try {
      return examples;
    } finally {
      lock.unlock();
    }
  }

  List<NodeFailure> failures() {
    lock.lock();
    try {
      return List.copyOf(failures);
    } finally {
      lock.unlock();
    }
  }

  Map<NodeId, Long> contributions() {
    lock.lock();
    try {
      return new LinkedHashMap<>(contributions);
    } finally {
      lock.unlock();
    }
  }

  Map<String, Double> meanMetrics() {
    lock.lock();
    try {
      return Metrics.weightedMean(metrics);
    } finally {
      lock.unlock();
    }
  }

  /** The new global parameters; call after {@link #await}. */
  Parameters aggregate() {
    lock.lock();
    try {
      return aggregation.finish();
    } finally {
      lock.unlock();
    }
  }

  private void requireOpen(RoundTask task, PhaseKind expected) {
    if (task.delivered()) {
      throw new ConflictException(
          "UPDATE_ALREADY_RECEIVED", "the result of task " + task.id() + " already arrived; results are accepted once per task");
    }
    if (!task.open()) {
      throw new ConflictException("TASK_CLOSED", "task " + task.id() + " is closed: it failed, timed out, or its round ended");
    }
    if (expected != kind) {
      throw new InvalidRequestException("WRONG_TASK_KIND", "task " + task.id() + " is a " + kind + " task");
    }
  }

  private void failLocked(RoundTask task, String reason) {
    failures.add(new NodeFailure(task.node(), kind.wireName(), reason));
    if (aggregation != null) aggregation.accept(new FitOutcome.Failure(task.node(), reason));
    closeLocked(task, false);
  }

  private void closeLocked(RoundTask task, boolean resultArrived) {
    task.close(resultArrived);
    pending--;
    changed.signalAll();
  }
}
