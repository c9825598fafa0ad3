package dev.fedgrid.api.strategy;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.model.Parameters;
import java.util.Map;
import java.util.Objects;

/**
 * What came of one node's fit task in a round. Failures are data: a node that crashed, timed out
 * or sent an invalid update reaches the strategy as a {@link Failure}, and the strategy decides
 * what it means for the round.
 */
public sealed interface FitOutcome {
  NodeId node();

  /**
   * A node's trained parameters.
   *
   * @param parameters the node's full parameters after local training (not a difference)
   * @param examples training examples processed per epoch; the weight of this update
   * @param metrics local training metrics such as {@code loss}
   */
  record Success(NodeId node, Parameters parameters, long examples, Map<String, Double> metrics) implements FitOutcome {
    public Success {
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(parameters, "parameters");
      if (examples < 1) throw new IllegalArgumentException("an update must cover at least one example, got " + examples);
      metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }
  }

  /** A node that produced no usable update, and why. */
  record Failure(NodeId node, String reason) implements FitOutcome {
    public Failure {
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(reason, "reason");
    }
  }
}
