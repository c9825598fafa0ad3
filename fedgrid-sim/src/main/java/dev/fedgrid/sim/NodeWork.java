package dev.fedgrid.sim;

import dev.fedgrid.core.round.RoundTask;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;

/**
 * What a virtual node computes for a task: real training on its share of a data set ({@link
 * EngineWork}), or anything deterministic in tests. Implementations are called from many virtual
 * threads at once and must be thread-safe.
 */
public interface NodeWork {
  /** Trains node {@code node} from {@code task.start()}; the result is what an honest node sends. */
  FitResult fit(int node, RoundTask task) throws Exception;

  /** Evaluates {@code task.start()} on node {@code node}'s test rows. */
  EvalResult evaluate(int node, RoundTask task) throws Exception;

  /**
   * An upper bound on any node's training examples: the largest weight a node may give its input
   * under secure aggregation (a larger one is refused by that node). Default {@code 2^24}.
   */
  default long maxExamples() {
    return 1L << 24;
  }

  /** Whether node {@code node} has test rows. */
  default boolean evaluates(int node) {
    return true;
  }
}
