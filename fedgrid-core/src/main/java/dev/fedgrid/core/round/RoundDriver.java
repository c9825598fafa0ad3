package dev.fedgrid.core.round;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.SecureInput;
import dev.fedgrid.api.strategy.SecureSum;
import dev.fedgrid.api.strategy.Strategy;
import dev.fedgrid.core.dp.PoissonSampling;
import dev.fedgrid.core.secagg.SecAggAssignment;
import dev.fedgrid.core.secagg.SecAggConfig;
import dev.fedgrid.core.secagg.SecAggMessage;
import dev.fedgrid.core.secagg.SecAggResult;
import dev.fedgrid.core.secagg.SecAggServer;
import java.security.SecureRandom;
import java.util.Map;
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
 * <p><b>Secure aggregation</b> ({@link RoundPlan#secAgg()}): step 2 and 3 change. The driver builds
 * the round's {@link SecAggConfig} for the {@code n} participants ({@link SecAggPlan#config}) and a
 * {@link SecAggServer} seeded from a {@code SecureRandom}, and each fit task carries its node's
 * stage-0 setup ({@link RoundTask#secAgg()}). Nodes train, then send their difference from the
 * global model masked, in the four SecAgg+ stages ({@link SecurePhase}); stage 1 closes at the fit
 * deadline, stages 2 to 4 after the plan's stage time-out, each as soon as every node still in the
 * round answered. The unmasked weighted mean of the differences (or DP-FedAvg's clipped sum) goes to
 * the strategy's {@link RoundAggregation#acceptSecureSum}; the gateway never holds one node's update.
 * A round whose protocol fails ends as {@link RoundOutcome.SecureAggregationFailed} with nothing
 * released; one with fewer than {@code minNodes} masked inputs as {@link
 * RoundOutcome.TooFewUpdates}. Training metrics are not collected (they are per node), so the
 * round's fit metrics are empty; contributions use the examples each node reported with its keys.
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
  private volatile SecurePhase currentSecure;
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

    if (plan.secAgg() != null) return runSecure(plan, participants, global, listener);
    Phase fit = new Phase(PhaseKind.FIT, strategy.openRound(plan.round(), global, plan.expectedUpdates()), plan.epochs());
    runPhase(fit, plan, participants, global, strategy.proximalMu(), plan.localPrivacy());
    if (fit.delivered() < plan.minNodes()) {
      return new RoundOutcome.TooFewUpdates(plan.round(), fit.delivered(), participants.size(), fit.failures());
    }
    Parameters next = fit.aggregate();
    return evaluate(plan, participants, next, fit.delivered(), fit.examples(), fit.failures(), fit.meanMetrics(), fit.contributions());
  }

  /** The fit phase under secure aggregation, then evaluation as usual. */
  private RoundOutcome runSecure(RoundPlan plan, List<NodeId> participants, Parameters global, RoundListener listener) throws InterruptedException {
    SecureInput input = strategy.secureInput().orElseThrow(() -> new InvalidRequestException(
        "SECURE_AGGREGATION_UNSUPPORTED_STRATEGY", strategy.name() + " needs every individual update and cannot run under secure aggregation"));
    RoundAggregation aggregation = strategy.openRound(plan.round(), global, plan.expectedUpdates());
    SecAggConfig config;
    try {
      config = plan.secAgg().config(participants.size(), global.values().length, input);
    } catch (InvalidRequestException e) {
      return new RoundOutcome.SecureAggregationFailed(plan.round(), e.getMessage(), participants.size(), List.of());
    }
    var server = new SecAggServer(config, new SecureRandom());
    var phase = new SecurePhase(server, aggregation);
    currentSecure = phase;
    double clip = input instanceof SecureInput.ClippedSum c ? c.clipNorm() : 0;
    int stageTimeout = plan.secAgg().settings().stageTimeoutSeconds();
    Instant deadline = clock.instant().plusSeconds(plan.timeoutSeconds());
    List<SecAggMessage.Setup> setups = server.setup();
    var tasks = new ArrayList<RoundTask>(participants.size());
    for (int i = 0; i < participants.size(); i++) {
      var task = new RoundTask(TaskId.random(), participants.get(i), plan.round(), global, deadline, strategy.proximalMu(), plan.localPrivacy(), phase,
          new SecAggAssignment(setups.get(i), clip, stageTimeout));
      phase.add(task);
      tasks.add(task);
    }
    fleet.dispatch(tasks);
    String reason = aborted;
    if (reason != null) phase.abandon(reason);
    SecAggResult result = phase.drive(deadline, Duration.ofSeconds(stageTimeout), plan.minNodes(), clock, pollEvery, fleet::offline, plan, listener);
    if (aborted != null) throw new InterruptedException(aborted);
    if (result == null) {
      if (phase.tooFew()) return new RoundOutcome.TooFewUpdates(plan.round(), phase.inputs(), participants.size(), phase.failures());
      return new RoundOutcome.SecureAggregationFailed(plan.round(), phase.abandonedReason(), participants.size(), phase.failures());
    }
    if (input instanceof SecureInput.WeightedMean && phase.examples() != result.totalWeight()) {
      // Each node states its examples in the clear (they become its contribution, and under a
      // market agreement its pay) and weights its masked input by them; only their sums can be
      // compared, and a mismatch means some node stated one number and weighted by another.
      return new RoundOutcome.SecureAggregationFailed(plan.round(), "the " + result.survivors().length + " nodes in the sum stated "
          + phase.examples() + " examples but weighted their inputs by " + result.totalWeight() + " in all; no sum is released",
          participants.size(), phase.failures());
    }
    aggregation.acceptSecureSum(new SecureSum(result.mean(), result.totalWeight(), result.survivors().length));
    Parameters next = aggregation.finish();
    return evaluate(plan, participants, next, result.survivors().length, phase.examples(), phase.failures(), Map.of(), phase.contributions(plan.epochs()));
  }

  private RoundOutcome evaluate(RoundPlan plan, List<NodeId> participants, Parameters next, int updates, long examples, List<NodeFailure> fitFailures,
      Map<String, Double> fitMetrics, Map<NodeId, Long> contributions) throws InterruptedException {
    List<NodeId> evaluators = participants.stream().filter(fleet::evaluates).toList();
    Phase eval = new Phase(PhaseKind.EVALUATE, null, plan.epochs());
    runPhase(eval, plan, evaluators, next, 0, null);

    var failures = new ArrayList<NodeFailure>(fitFailures);
    failures.addAll(eval.failures());
    return new RoundOutcome.Completed(plan.round(), participants, next, updates, examples, failures, fitMetrics, eval.meanMetrics(), contributions);
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
    SecurePhase secure = currentSecure;
    if (secure != null) secure.abandon(reason);
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
