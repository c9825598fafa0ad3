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
      if (task.kind() == PhaseKind.FIT) {
        FitResult result = work.fit(node, task);
        float[] values = result.parameters().values();
        if (faults.byzantine(node)) values = faults.attack(r, node, values, start.values());
        if (task.localPrivacy() != null) {
          var dp = LocalDp.seeded(task.localPrivacy().noiseMultiplier(), task.localPrivacy().clipNorm(), new SplittableRandom(Seeds.mix(seed ^ 0x4L, r, node)));
          values = dp.privatize(values, start.values());
        }
        if (task.secAgg() != null) {
          runSecure(task, node, values, start.values(), result.examples(), arrives);
          return true;
        }
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

  /** A virtual node's SecAgg+ stages after training; returns when it finished or dropped. */
  private void runSecure(RoundTask task, int node, float[] local, float[] global, long examples, Instant arrives) throws Exception {
    if (!arrives.isBefore(task.deadline())) {
      gone.add(node);
      return;
    }
    clock.advanceTo(arrives);
    var input = SecAggParticipant.prepare(task.secAgg(), local, global, examples);
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
    SecAggParticipant.run(task.secAgg(), input, examples, channel, random, stage -> {
      if (stage == SecAggStage.MASKED_INPUT && faults.dropsAfterSharingKeys(r, node)) {
        gone.add(node);
        throw new Dropped();
      }
    });
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
