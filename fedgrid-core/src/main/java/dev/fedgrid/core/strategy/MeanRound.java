package dev.fedgrid.core.strategy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.core.aggregate.WeightedSum;
import dev.fedgrid.core.tensor.TensorCodec;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BinaryOperator;

/**
 * One round of any strategy: validates each update, streams it into a {@link WeightedSum} weighted
 * by its number of examples, and at the end applies the strategy's server step to the mean.
 *
 * <p>An update is checked before it touches the sum (its layout, then every value for NaN and
 * infinity), so a rejected update leaves the round as it was. Each node may report once per round,
 * a success or a failure; a second outcome from the same node is refused so that a replayed update
 * cannot count twice. {@link #finish()} computes the result once and returns it again on later
 * calls. Memory: one model-sized accumulator plus references to at most three pending updates, and
 * the ids of the nodes seen.
 *
 * <p>Not thread-safe: outcomes are fed from one thread at a time.
 */
final class MeanRound implements RoundAggregation {
  private final String strategy;
  private final ParameterLayout layout;
  private final int round;
  private final Parameters global;
  private final BinaryOperator<float[]> serverStep;
  private final WeightedSum sum;
  private final Set<NodeId> seen = new HashSet<>();
  private int failures;
  private String firstFailure;
  private Parameters result;

  /**
   * @param serverStep maps (global values, weighted mean) to the new global values; may keep state,
   *     which it must only commit when it returns normally
   */
  MeanRound(String strategy, ParameterLayout layout, int round, Parameters global, BinaryOperator<float[]> serverStep) {
    Objects.requireNonNull(global, "global");
    if (round < 1) {
      throw new InvalidRequestException("INVALID_ROUND", "rounds are numbered from 1, got " + round);
    }
    try {
      TensorCodec.checkLayout(layout, global.layout());
    } catch (InvalidRequestException e) {
      throw new InvalidRequestException(
          "SHAPE_MISMATCH", "the global parameters of round " + round + " do not fit the job's model: " + e.getMessage(), Map.of("round", round), e);
    }
    int bad = global.firstNonFinite();
    if (bad >= 0) {
      throw new InvalidRequestException(
          "NON_FINITE_PARAMETERS",
          "the global parameters of round " + round + " hold " + global.values()[bad] + " at index " + bad + " (" + locate(layout, bad)
              + "); start the job from finite parameters",
          Map.of("round", round, "index", bad));
    }
    this.strategy = strategy;
    this.layout = layout;
    this.round = round;
    this.global = global;
    this.serverStep = serverStep;
    this.sum = new WeightedSum(layout.size());
  }

  @Override
  public void accept(FitOutcome outcome) {
    Objects.requireNonNull(outcome, "outcome");
    NodeId node = outcome.node();
    if (result != null) {
      throw new ConflictException(
          "ROUND_FINISHED", "round " + round + " is already aggregated; the outcome from node " + node + " arrived too late and was ignored", details(node));
    }
    if (seen.contains(node)) {
      throw new ConflictException(
          "DUPLICATE_UPDATE", "node " + node + " already reported in round " + round + "; each node counts once per round", details(node));
    }
    switch (outcome) {
      case FitOutcome.Success s -> {
        check(s);
        sum.add(s.parameters().values(), s.examples());
      }
      case FitOutcome.Failure f -> {
        failures++;
        if (firstFailure == null) firstFailure = "node " + f.node() + ": " + f.reason();
      }
    }
    seen.add(node);
  }

  private void check(FitOutcome.Success s) {
    try {
      TensorCodec.checkLayout(layout, s.parameters().layout());
    } catch (InvalidRequestException e) {
      throw new InvalidRequestException(
          "SHAPE_MISMATCH",
          "the update from node " + s.node() + " in round " + round + " does not fit the job's model: " + e.getMessage()
              + "; the node must train the model it was sent",
          details(s.node()),
          e);
    }
    int bad = s.parameters().firstNonFinite();
    if (bad >= 0) {
      var details = new HashMap<String, Object>(details(s.node()));
      details.put("index", bad);
      throw new InvalidRequestException(
          "NON_FINITE_UPDATE",
          "the update from node " + s.node() + " in round " + round + " holds " + s.parameters().values()[bad] + " at index " + bad + " ("
              + locate(layout, bad) + "); its training diverged: lower the learning rate or check the node's data",
          details);
    }
  }

  @Override
  public int successes() {
    return sum.count();
  }

  @Override
  public int failures() {
    return failures;
  }

  @Override
  public Parameters finish() {
    if (result != null) return result;
    if (sum.count() == 0) {
      throw new UnavailableException(
          "NO_UPDATES",
          "round " + round + " of " + strategy + " has no successful update to aggregate (" + failures + " failed"
              + (firstFailure == null ? "" : ", first " + firstFailure) + "); wait for more nodes or lower the round's minimum",
          Map.of("round", round, "failures", failures));
    }
    float[] mean = sum.mean();
    float[] next = serverStep.apply(global.values(), mean);
    requireFiniteResult(next);
    result = new Parameters(layout, next);
    return result;
  }

  private Map<String, Object> details(NodeId node) {
    return Map.of("node", node.value(), "round", round);
  }

  /** Refuses a non-finite aggregate, which only updates at the edge of the float range can cause. */
  static void requireFiniteResult(float[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new InvalidRequestException(
            "NON_FINITE_AGGREGATE",
            "aggregating this round overflows the float range at index " + i + "; some updates hold values near 3.4e38. The global model is unchanged: drop those nodes and retry the round",
            Map.of("index", i));
      }
    }
  }

  /** "tensor name, element k" for a flat index. */
  static String locate(ParameterLayout layout, int index) {
    int offset = 0;
    for (var t : layout.tensors()) {
      if (index < offset + t.size()) return "tensor " + t.name() + ", element " + (index - offset);
      offset += t.size();
    }
    return "past the last tensor";
  }
}
