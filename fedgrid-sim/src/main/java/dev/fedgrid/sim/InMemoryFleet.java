package dev.fedgrid.sim;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.core.dp.LocalDp;
import dev.fedgrid.core.round.PhaseKind;
import dev.fedgrid.core.round.RoundFleet;
import dev.fedgrid.core.round.RoundTask;
import dev.fedgrid.core.secagg.SecAggMessage;
import dev.fedgrid.core.secagg.SecAggParticipant;
import dev.fedgrid.core.secagg.SecAggStage;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The round driver's port in memory: each task runs on a virtual thread of its own, computes with
 * {@link NodeWork} (training shares a bounded pool of engines, not one per node), suffers the
 * {@link FaultPlan}'s faults, and delivers to its task directly.
 *
 * <p>Time is the {@link VirtualClock}'s. A straggler's result arrives its delay after dispatch on
 * that clock; one whose delay reaches the deadline never arrives, and once the rest of its phase
 * has finished computing the clock jumps to the deadline, so the driver closes the phase at once
 * with its usual "no result before the deadline". A dropped-out node computes nothing and is
 * reported offline for the round, so the driver fails it as it would a silent real node.
 *
 * <p>Under secure aggregation ({@link RoundTask#secAgg()}) a virtual node trains, then runs the same
 * {@link SecAggParticipant} as a real node through its task's SecAgg+ channel. A node the plan
 * kills mid-protocol ({@link FaultPlan#dropsAfterSharingKeys}) stops before sending its masked input
 * and is reported offline from then on; a straggler too late for the fit deadline is reported
 * offline at once (the stages after it wait for it otherwise, since the virtual clock only moves
 * with results).
 *
 * <p>Thread-safe.
 */
public final class InMemoryFleet implements RoundFleet {
  private final NodeWork work;
  private final FaultPlan faults;
  private final VirtualClock clock;
  private final long seed;
  private volatile int round;
  private final Set<Integer> gone = ConcurrentHashMap.newKeySet();
  private final SecureRandom random = new SecureRandom();

  public InMemoryFleet(NodeWork work, FaultPlan faults, VirtualClock clock, long seed) {
    this.work = work;
    this.faults = faults;
    this.clock = clock;
    this.seed = seed;
  }

  @Override
  public void dispatch(List<RoundTask> tasks) {
    if (tasks.isEmpty()) return;
    if (tasks.getFirst().round() != round) gone.clear();
    round = tasks.getFirst().round();
    Instant sent = clock.instant();
    var remaining = new AtomicInteger(tasks.size());
    var late = new AtomicBoolean();
    Instant deadline = tasks.getFirst().deadline();
    for (RoundTask task : tasks) {
      Thread.ofVirtual().name("fedgrid-sim-" + task.node()).start(() -> {
        try {
          if (!run(task, sent)) late.set(true);
        } finally {
          if (remaining.decrementAndGet() == 0 && late.get()) clock.advanceTo(deadline);
        }
      });
    }
  }

  /** Runs one task; false when its result is too late to arrive before the deadline. */
  private boolean run(RoundTask task, Instant sent) {
    int node = VirtualNodes.index(task.node());
    int r = task.round();
    if (faults.dropsOut(r, node)) return true;
    Parameters start = task.start();
    if (start == null) return true; // closed already (cancelled)
    Instant arrives = sent.plusSeconds(faults.delaySeconds(r, node));
    try {
      if (task.kind() == PhaseKind.FIT && task.secAgg() != null) {
        runSecure(task, node, start, arrives);
        return true;
      }
      if (task.kind() == PhaseKind.FIT) {
        FitResult result = work.fit(node, task);
        float[] values = sent(task, node, result, start);
        if (!arrives.isBefore(task.deadline())) return false;
        clock.advanceTo(arrives);
        task.deliverFit(new Parameters(start.layout(), values), result.examples(), result.metrics());
      } else {
        EvalResult result = work.evaluate(node, task);
        if (!arrives.isBefore(task.deadline())) return false;
        clock.advanceTo(arrives);
        task.deliverEvaluation(result.examples(), result.metrics());
      }
    } catch (FedGridException e) {
      // the task was closed (deadline, cancel) or the update rejected; the driver recorded why
      if (task.secAgg() != null) task.fail("refused: " + e.getMessage());
    } catch (Dropped e) {
      // killed by the fault plan; the driver counts it out as offline
    } catch (Exception e) {
      task.fail("reported: " + e.getMessage());
    }
    return true;
  }

  /** The parameters the node sends after training: its own, or the fault plan's attack, with local DP's noise. */
  private float[] sent(RoundTask task, int node, FitResult result, Parameters start) {
    int r = task.round();
    float[] values = result.parameters().values();
    if (faults.byzantine(node)) values = faults.attack(r, node, values, start.values());
    if (task.localPrivacy() != null) {
      var dp = LocalDp.seeded(task.localPrivacy().noiseMultiplier(), task.localPrivacy().clipNorm(), new SplittableRandom(Seeds.mix(seed ^ 0x4L, r, node)));
      values = dp.privatize(values, start.values());
    }
    return values;
  }

  /**
   * A virtual node's training and SecAgg+ stages; returns when it finished or dropped. A node too
   * late for the fit deadline is counted out before it trains (its update could not be used).
   *
   * <p>Every node of the round holds its input from training until it masks it, so the round holds
   * all of them at once (a real node holds only its own): {@code d} floats per node, 4 GB for
   * 10,000 nodes at d = 100,000. Nothing else of that size is kept per waiting node: the trained
   * parameters die with {@link #secureInput}'s frame once the difference is prepared, the input is
   * handed to {@link SecAggParticipant#run} without a reference here, and that lets go of the input
   * and of the masked vector after stage 3. Before, parked nodes' frames kept them: with 300 nodes
   * at d = 101,770 (SimSecAggScaleBenchmark), heap after a full collection when stage 3 closed was
   * 201 and 359 MB above the heap after the round in two runs (the latter 1.2 MB per node: its
   * input and its masked vector), 2 and 5 MB now; when stage 1 closed, 143 and 171 MB, 119 MB now.
   */
  private void runSecure(RoundTask task, int node, Parameters start, Instant arrives) throws Exception {
    if (!arrives.isBefore(task.deadline())) {
      gone.add(node);
      return;
    }
    var channel = new SecAggParticipant.Channel() {
      @Override
      public void send(SecAggMessage.FromClient message, long ex) {
        task.secAggSubmit(message, ex);
      }

      @Override
      public SecAggMessage.FromServer receive(SecAggStage closed) throws InterruptedException {
        while (true) {
          var m = task.secAggAwait(Duration.ofSeconds(1));
          if (m != null) return m;
        }
      }
    };
    int r = task.round();
    SecAggParticipant.run(task.secAgg(), secureInput(task, node, start, arrives), channel, random, stage -> {
      if (stage == SecAggStage.MASKED_INPUT && faults.dropsAfterSharingKeys(r, node)) {
        gone.add(node);
        throw new Dropped();
      }
    });
  }

  /**
   * Trains the node, moves the clock to its result's arrival and prepares its input; the trained
   * parameters are garbage once this returns.
   */
  private SecAggParticipant.Input secureInput(RoundTask task, int node, Parameters start, Instant arrives) throws Exception {
    FitResult result = work.fit(node, task);
    float[] values = sent(task, node, result, start);
    clock.advanceTo(arrives);
    return SecAggParticipant.prepare(task.secAgg(), values, start.values(), result.examples());
  }

  /** A virtual node the fault plan kills mid-protocol. */
  private static final class Dropped extends Exception {}

  @Override
  public boolean offline(NodeId node) {
    int i = VirtualNodes.index(node);
    return faults.dropsOut(round, i) || gone.contains(i);
  }

  @Override
  public boolean evaluates(NodeId node) {
    return work.evaluates(VirtualNodes.index(node));
  }
}
