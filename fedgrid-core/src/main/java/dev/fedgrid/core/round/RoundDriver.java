package dev.fedgrid.core.round;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.strategy.Strategy;
import dev.fedgrid.core.dp.PoissonSampling;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Drives the rounds of one job through a {@link RoundFleet}: the one copy of the round logic,
 * shared by the gateway (over the gRPC fleet API) and the simulator (in memory).
 *
 * <p>One {@link #run round}:
 *
 * <ol>
 *   <li>draw the participants from the eligible nodes, each independently with probability {@code
 *       q} ({@link PoissonSampling}, from the injected sampler: a {@code SecureRandom} on the
 *       gateway, a seeded generator in the simulator); a draw below {@code minNodes} ends the round
 *       as {@link RoundOutcome.SampleTooSmall}, never re-drawn;
 *   <li>open the strategy's round expecting {@code q N} updates, dispatch one fit task per
 *       participant (carrying the strategy's proximal {@code mu} and the job's local DP settings),
 *       and fold each update into the aggregate as it arrives;
 *   <li>close the phase when every task reported, failing the tasks of nodes the fleet reports
 *       offline on the way, or at the deadline (the silent ones fail with "no result before the
 *       deadline"); with fewer than {@code minNodes} updates the round ends as {@link
 *       RoundOutcome.TooFewUpdates};
 *   <li>aggregate, dispatch evaluate tasks with the new parameters to the participants that can
 *       evaluate, close that phase the same way, and average both phases' metrics weighted by
 *       examples.
 * </ol>
 *
 * <p>Time comes from the injected {@link InstantSource}: wall time on the gateway, a virtual clock
 * in the simulator. Waiting re-checks the clock and the fleet's liveness every {@code pollEvery}
 * of real time.
 *
 * <p>Updates are folded in arrival order, as they come, so the driver holds one running aggregate
 * and not every update. The aggregate therefore depends on arrival order only through
 * floating-point rounding ({@link dev.fedgrid.core.aggregate.WeightedSum} states the bound); when
 * the sums are exact (equal weights, 1, 2, 4 or 8 updates, small dyadic values) it is
 * bit-identical for every order. The test that the simulator and the gateway give identical
 * aggregates uses such updates rather than forcing an order that the gateway could only get by
 * buffering every update of the round.
 *
 * <p>A driver belongs to one job and runs one round at a time; {@link #abort} may be called from
 * any other thread.
 */
public final class RoundDriver {
  private final Strategy strategy;
  private final RoundFleet fleet;
  private final InstantSource clock;
  private final RandomGenerator sampler;
  private final Duration pollEvery;
  private volatile Phase current;
  private volatile String aborted;

  /**
   * @param strategy the job's strategy, restored to its last checkpoint
   * @param fleet how tasks reach nodes
   * @param clock the time deadlines are measured in
   * @param sampler the source of Poisson sampling's uniforms; a {@code SecureRandom} in production
   * @param pollEvery how often a waiting phase re-checks the clock and which nodes went offline
   */
  public RoundDriver(Strategy strategy, RoundFleet fleet, InstantSource clock, RandomGenerator sampler, Duration pollEvery) {
    this.strategy = Objects.requireNonNull(strategy, "strategy");
    this.fleet = Objects.requireNonNull(fleet, "fleet");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sampler = Objects.requireNonNull(sampler, "sampler");
    this.pollEvery = Objects.requireNonNull(pollEvery, "pollEvery");
  }

  public Strategy strategy() {
    return strategy;
  }

  /**
   * Runs one round from {@code global}.
   *
   * @throws InterruptedException when {@link #abort aborted} or interrupted; the open tasks are
   *     failed with the abort's reason and nothing is aggregated
   * @throws dev.fedgrid.api.FedGridException when the strategy cannot aggregate the updates that
   *     arrived (a robust rule with too few of them, say)
   */
  public RoundOutcome run(RoundPlan plan, Parameters global, RoundListener listener) throws InterruptedException {
    List<NodeId> participants = PoissonSampling.sample(plan.eligible(), plan.sampleFraction(), sampler);
    if (participants.size() < plan.minNodes()) {
      return new RoundOutcome.SampleTooSmall(plan.round(), participants.size(), plan.eligible().size());
    }
    listener.started(plan, participants);

    Phase fit = new Phase(PhaseKind.FIT, strategy.openRound(plan.round(), global, plan.expectedUpdates()), plan.epochs());
    runPhase(fit, plan, participants, global, strategy.proximalMu(), plan.localPrivacy());
    if (fit.delivered() < plan.minNodes()) {
      return new RoundOutcome.TooFewUpdates(plan.round(), fit.delivered(), participants.size(), fit.failures());
    }
    Parameters next = fit.aggregate();

    List<NodeId> evaluators = participants.stream().filter(fleet::evaluates).toList();
    Phase eval = new Phase(PhaseKind.EVALUATE, null, plan.epochs());
    runPhase(eval, plan, evaluators, next, 0, null);

    var failures = new ArrayList<NodeFailure>(fit.failures());
    failures.addAll(eval.failures());
    return new RoundOutcome.Completed(
        plan.round(), participants, next, fit.delivered(), fit.examples(), failures, fit.meanMetrics(), eval.meanMetrics(), fit.contributions());
  }

  /**
   * Abandons the round in flight: its open tasks fail with {@code reason} and {@link #run} throws
   * {@link InterruptedException} once its phase stops waiting. The caller interrupts the driving
   * thread too if it may be elsewhere. Sticky: a driver once aborted runs no further round.
   */
  public void abort(String reason) {
    aborted = Objects.requireNonNull(reason, "reason");
    Phase phase = current;
    if (phase != null) phase.closeRemaining(reason);
  }

  private void runPhase(Phase phase, RoundPlan plan, List<NodeId> nodes, Parameters start, double mu, DifferentialPrivacy localPrivacy)
      throws InterruptedException {
    current = phase;
    Instant deadline = clock.instant().plusSeconds(plan.timeoutSeconds());
    var tasks = new ArrayList<RoundTask>(nodes.size());
    for (NodeId node : nodes) {
      var task = new RoundTask(TaskId.random(), node, phase.kind, plan.round(), start, deadline, mu, localPrivacy, phase);
      phase.add(task);
      tasks.add(task);
    }
    fleet.dispatch(tasks);
    String reason = aborted;
    if (reason != null) phase.closeRemaining(reason);
    boolean all = phase.await(deadline, clock, pollEvery, fleet::offline, "node went offline");
    if (!all) phase.closeRemaining("no result before the " + plan.timeoutSeconds() + " s deadline");
    if (aborted != null) throw new InterruptedException(aborted);
  }
}
