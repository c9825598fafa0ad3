package dev.fedgrid.sim;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.core.dp.LocalDp;
import dev.fedgrid.core.round.PhaseKind;
import dev.fedgrid.core.round.RoundFleet;
import dev.fedgrid.core.round.RoundTask;
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
 * <p>Thread-safe.
 */
public final class InMemoryFleet implements RoundFleet {
  private final NodeWork work;
  private final FaultPlan faults;
  private final VirtualClock clock;
  private final long seed;
  private volatile int round;

  public InMemoryFleet(NodeWork work, FaultPlan faults, VirtualClock clock, long seed) {
    this.work = work;
    this.faults = faults;
    this.clock = clock;
    this.seed = seed;
  }

  @Override
  public void dispatch(List<RoundTask> tasks) {
    if (tasks.isEmpty()) return;
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
    } catch (Exception e) {
      task.fail("reported: " + e.getMessage());
    }
    return true;
  }

  @Override
  public boolean offline(NodeId node) {
    return faults.dropsOut(round, VirtualNodes.index(node));
  }

  @Override
  public boolean evaluates(NodeId node) {
    return work.evaluates(VirtualNodes.index(node));
  }
}
