package dev.fedgrid.core.strategy;

import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.api.strategy.RoundAggregation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One round of a robust strategy: validates each update as {@link MeanRound} does (through the same
 * {@link RoundLedger}), keeps every successful update, and applies the {@link RobustRule} to all of
 * them when the round finishes.
 *
 * <p>Memory is {@code O(n d)} for {@code n} updates of {@code d} values, unlike the {@code O(d)} of
 * the streaming mean: the robust rules cannot stream. A coordinate-wise median or trimmed mean is an
 * order statistic, and an exact one needs all {@code n} values of each coordinate (Munro and
 * Paterson 1980, "Selection and sorting with limited storage", show a one-pass exact selection
 * needs memory linear in {@code n}); Krum scores an update by its distances to all others, known
 * only once the last one has arrived, and returns one of the updates itself. The updates are held by
 * reference (a {@link Parameters}' array is never modified), so the round adds no copy of them;
 * {@link #finish()} then needs {@code O(n^2)} more for the distances of Krum, Multi-Krum and Bulyan.
 *
 * <p>The updates are sorted by node id before the rule sees them, so the result does not depend on
 * the order they arrived in. {@link #finish()} computes the result once and returns it again on
 * later calls.
 *
 * <p>Not thread-safe: outcomes are fed from one thread at a time.
 */
final class RobustRound implements RoundAggregation {
  private final RoundLedger ledger;
  private final ParameterLayout layout;
  private final RobustRule rule;
  private final int minimumUpdates;
  private final List<RobustRule.Update> updates = new ArrayList<>();
  private Parameters result;

  RobustRound(String strategy, ParameterLayout layout, int round, Parameters global, RobustRule rule, int minimumUpdates) {
    this.ledger = new RoundLedger(strategy, layout, round, global);
    this.layout = layout;
    this.rule = rule;
    this.minimumUpdates = minimumUpdates;
  }

  @Override
  public void accept(FitOutcome outcome) {
    ledger.check(outcome);
    if (outcome instanceof FitOutcome.Success s) {
      updates.add(new RobustRule.Update(s.node(), s.parameters().values(), s.examples()));
    }
    ledger.record(outcome);
  }

  @Override
  public int successes() {
    return updates.size();
  }

  @Override
  public int failures() {
    return ledger.failures();
  }

  /**
   * @throws UnavailableException with code {@code NO_UPDATES} when no update arrived, or {@code
   *     TOO_FEW_UPDATES_FOR_ROBUST_STRATEGY} when fewer arrived than the rule needs for its {@code f}
   */
  @Override
  public Parameters finish() {
    if (result != null) return result;
    int n = updates.size();
    if (n == 0) throw ledger.noUpdates();
    if (n < minimumUpdates) throw tooFew(n);
    var sorted = new ArrayList<>(updates);
    sorted.sort(Comparator.comparing(RobustRule.Update::node));
    float[] next = rule.aggregate(sorted, layout.size());
    RoundLedger.requireFiniteResult(next);
    result = new Parameters(layout, next);
    ledger.finish();
    return result;
  }

  private UnavailableException tooFew(int n) {
    String strategy = ledger.strategy();
    int f = rule.byzantine();
    int required = minimumUpdates;
    return new UnavailableException(
        "TOO_FEW_UPDATES_FOR_ROBUST_STRATEGY",
        "round " + ledger.round() + " of " + strategy + " has " + n + " successful update" + (n == 1 ? "" : "s") + " (" + ledger.failures()
            + " failed) but " + strategy + " with byzantine f = " + f + " needs " + rule.requirement() + ", that is at least " + required
            + " updates; raise the job's minimum nodes to at least " + required + " or lower byzantine",
        Map.of("round", ledger.round(), "strategy", strategy, "updates", n, "byzantine", f, "required", required));
  }
}
