package dev.fedgrid.core.round;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.model.Parameters;
import java.util.List;
import java.util.Map;

/**
 * How a round driven by {@link RoundDriver#run} ended. A round that could not aggregate is data, not
 * an exception: the caller decides what it means for the job (the gateway fails it with a message
 * naming the nodes; the simulator records it).
 */
public sealed interface RoundOutcome {
  int round();

  /**
   * The Poisson draw selected fewer than {@code minNodes}; nothing was dispatched. Rounds are not
   * re-drawn: conditioning the sample on its size would break the independence the privacy
   * analysis of sampling assumes.
   */
  record SampleTooSmall(int round, int sampled, int eligible) implements RoundOutcome {}

  /** Fewer than {@code minNodes} fit updates arrived; nothing was aggregated or evaluated. */
  record TooFewUpdates(int round, int delivered, int selected, List<NodeFailure> failures) implements RoundOutcome {
    public TooFewUpdates {
      failures = List.copyOf(failures);
    }
  }

  /**
   * The round's secure aggregation was abandoned: a node broke the protocol or too few survived a
   * stage. No sum was released and nothing was aggregated or evaluated.
   *
   * @param reason what happened, naming the stage, the node and the counts
   * @param selected the nodes given a fit task
   */
  record SecureAggregationFailed(int round, String reason, int selected, List<NodeFailure> failures) implements RoundOutcome {
    public SecureAggregationFailed {
      failures = List.copyOf(failures);
    }
  }

  /**
   * The round aggregated and evaluated.
   *
   * @param participants the nodes given a fit task
   * @param parameters the new global parameters
   * @param updates fit updates aggregated
   * @param examples training examples per epoch behind those updates
   * @param failures nodes that failed the fit phase, then those that failed the evaluate phase
   * @param fitMetrics training metrics, weighted by examples
   * @param evalMetrics evaluation metrics of the new parameters, weighted by test examples
   * @param contributions for each node whose update was aggregated, examples x epochs
   */
  record Completed(
      int round,
      List<NodeId> participants,
      Parameters parameters,
      int updates,
      long examples,
      List<NodeFailure> failures,
      Map<String, Double> fitMetrics,
      Map<String, Double> evalMetrics,
      Map<NodeId, Long> contributions)
      implements RoundOutcome {
    public Completed {
      participants = List.copyOf(participants);
      failures = List.copyOf(failures);
      fitMetrics = Map.copyOf(fitMetrics);
      evalMetrics = Map.copyOf(evalMetrics);
      contributions = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(contributions));
    }
  }
}
