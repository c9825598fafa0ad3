package dev.fedgrid.core.strategy;

import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.SecureSum;
import dev.fedgrid.core.aggregate.WeightedSum;
import java.util.function.BinaryOperator;

/**
 * One round of a mean-based strategy: validates each update, streams it into a {@link WeightedSum}
 * weighted by its number of examples, and at the end applies the strategy's server step to the
 * mean.
 *
 * <p>An update is checked by a {@link RoundLedger} before it touches the sum (its layout, then
 * every value for NaN and infinity), so a rejected update leaves the round as it was. Each node may
 * report once per round, a success or a failure; a second outcome from the same node is refused so
 * that a replayed update cannot count twice. {@link #finish()} computes the result once and returns
 * it again on later calls. Memory: one model-sized accumulator plus references to at most three
 * pending updates, and the ids of the nodes seen.
 *
 * <p>Not thread-safe: outcomes are fed from one thread at a time.
 */
final class MeanRound implements RoundAggregation {
  private final RoundLedger ledger;
  private final ParameterLayout layout;
  private final Parameters global;
  private final BinaryOperator<float[]> serverStep;
  private final WeightedSum sum;
  private SecureSum secure;
  private Parameters result;

  /**
   * @param serverStep maps (global values, weighted mean) to the new global values; may keep state,
   *     which it must only commit when it returns normally
   */
  MeanRound(String strategy, ParameterLayout layout, int round, Parameters global, BinaryOperator<float[]> serverStep) {
    this.ledger = new RoundLedger(strategy, layout, round, global);
    this.layout = layout;
    this.global = global;
    this.serverStep = serverStep;
    this.sum = new WeightedSum(layout.size());
  }

  @Override
  public void accept(FitOutcome outcome) {
    ledger.check(outcome);
    if (secure != null && outcome instanceof FitOutcome.Success) throw RoundLedger.secureSumTaken(ledger);
    if (outcome instanceof FitOutcome.Success s) sum.add(s.parameters().values(), s.examples());
    ledger.record(outcome);
  }

  /** The weighted mean of the differences becomes {@code global + meanDifference}, then the server step as usual. */
  @Override
  public void acceptSecureSum(SecureSum secureSum) {
    RoundLedger.checkSecureSum(ledger, layout, secureSum, sum.count() > 0 || secure != null);
    secure = secureSum;
  }

  @Override
  public int successes() {
    return secure != null ? secure.contributors() : sum.count();
  }

  @Override
  public int failures() {
    return ledger.failures();
  }

  @Override
  public Parameters finish() {
    if (result != null) return result;
    float[] mean;
    if (secure != null) {
      float[] g = global.values();
      mean = new float[g.length];
      for (int i = 0; i < mean.length; i++) mean[i] = g[i] + secure.meanDifference()[i];
    } else {
      if (sum.count() == 0) throw ledger.noUpdates();
      mean = sum.mean();
    }
    float[] next = serverStep.apply(global.values(), mean);
    RoundLedger.requireFiniteResult(next);
    result = new Parameters(layout, next);
    ledger.finish();
    return result;
  }
}
