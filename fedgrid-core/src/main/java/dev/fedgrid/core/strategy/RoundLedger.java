package dev.fedgrid.core.strategy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.core.tensor.TensorCodec;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The checks every round shares, whatever it does with the updates: the global parameters fit the
 * job's layout and are finite; each outcome comes before the round finished, from a node that has
 * not reported yet, and a success has the layout and only finite values. It also keeps the nodes
 * seen and counts the failures.
 *
 * <p>A round calls {@link #check} before it takes an outcome in and {@link #record} after, so an
 * outcome that is refused changes nothing. Public so that rounds outside this package (DP-FedAvg in
 * {@code dev.fedgrid.core.dp}) refuse exactly what the other strategies refuse. Not thread-safe:
 * outcomes are fed from one thread at a time.
 */
public final class RoundLedger {
  private final String strategy;
  private final ParameterLayout layout;
  private final int round;
  private final Set<NodeId> seen = new HashSet<>();
  private int failures;
  private String firstFailure;
  private boolean finished;

  /**
   * @throws InvalidRequestException when {@code round} is below 1 or {@code global} does not fit
   *     {@code layout} or holds a non-finite value
   */
  public RoundLedger(String strategy, ParameterLayout layout, int round, Parameters global) {
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
  }

  int round() {
    return round;
  }

  String strategy() {
    return strategy;
  }

  public int failures() {
    return failures;
  }

  /**
   * Refuses an outcome that arrives after {@link #finish()}, repeats a node, or is a success of the
   * wrong layout or with a non-finite value; changes nothing.
   */
  public void check(FitOutcome outcome) {
    Objects.requireNonNull(outcome, "outcome");
    NodeId node = outcome.node();
    if (finished) {
      throw new ConflictException(
          "ROUND_FINISHED", "round " + round + " is already aggregated; the outcome from node " + node + " arrived too late and was ignored", details(node));
    }
    if (seen.contains(node)) {
      throw new ConflictException(
          "DUPLICATE_UPDATE", "node " + node + " already reported in round " + round + "; each node counts once per round", details(node));
    }
    if (outcome instanceof FitOutcome.Success s) checkUpdate(s);
  }

  private void checkUpdate(FitOutcome.Success s) {
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

  /** Notes an outcome that passed {@link #check} and was taken in. */
  public void record(FitOutcome outcome) {
    if (outcome instanceof FitOutcome.Failure f) {
      failures++;
      if (firstFailure == null) firstFailure = "node " + f.node() + ": " + f.reason();
    }
    seen.add(outcome.node());
  }

  /** Marks the round aggregated: later outcomes are refused with {@code ROUND_FINISHED}. */
  public void finish() {
    finished = true;
  }

  /** The error of a round that ends without a successful update. */
  public UnavailableException noUpdates() {
    return new UnavailableException(
        "NO_UPDATES",
        "round " + round + " of " + strategy + " has no successful update to aggregate (" + failures + " failed"
            + (firstFailure == null ? "" : ", first " + firstFailure) + "); wait for more nodes or lower the round's minimum",
        Map.of("round", round, "failures", failures));
  }

  private Map<String, Object> details(NodeId node) {
    return Map.of("node", node.value(), "round", round);
  }

  /**
   * Refuses a secure sum the round cannot take: after it finished, when it already holds an update
   * or a sum ({@code taken}), or with the wrong length or a non-finite value; changes nothing.
   */
  public static void checkSecureSum(RoundLedger ledger, ParameterLayout layout, dev.fedgrid.api.strategy.SecureSum sum, boolean taken) {
    Objects.requireNonNull(sum, "sum");
    if (ledger.finished) {
      throw new ConflictException("ROUND_FINISHED", "round " + ledger.round + " is already aggregated; its secure sum arrived too late", Map.of("round", ledger.round));
    }
    if (taken) throw secureSumTaken(ledger);
    if (sum.meanDifference().length != layout.size()) {
      throw new InvalidRequestException(
          "SHAPE_MISMATCH",
          "the secure sum of round " + ledger.round + " has " + sum.meanDifference().length + " values but the job's model has " + layout.size(),
          Map.of("round", ledger.round));
    }
    for (int i = 0; i < sum.meanDifference().length; i++) {
      if (!Float.isFinite(sum.meanDifference()[i])) {
        throw new InvalidRequestException(
            "NON_FINITE_UPDATE", "the secure sum of round " + ledger.round + " holds " + sum.meanDifference()[i] + " at index " + i + " (" + locate(layout, i) + ")",
            Map.of("round", ledger.round, "index", i));
      }
    }
  }

  /** The error of a second input to a round that took a secure sum, or of a sum after an update. */
  public static ConflictException secureSumTaken(RoundLedger ledger) {
    return new ConflictException(
        "SECURE_SUM_CONFLICT",
        "round " + ledger.round + " of " + ledger.strategy + " takes either individual updates or one secure sum, not both and not twice",
        Map.of("round", ledger.round));
  }

  /** Refuses a non-finite aggregate, which only updates at the edge of the float range can cause. */
  public static void requireFiniteResult(float[] values) {
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
