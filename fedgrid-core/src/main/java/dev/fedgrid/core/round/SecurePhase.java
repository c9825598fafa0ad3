package dev.fedgrid.core.round;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.core.secagg.SecAggMessage.AdvertiseKeys;
import dev.fedgrid.core.secagg.SecAggMessage.FromClient;
import dev.fedgrid.core.secagg.SecAggMessage.FromServer;
import dev.fedgrid.core.secagg.SecAggMessage.MaskedInput;
import dev.fedgrid.core.secagg.SecAggMessage.ShareKeys;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskResponse;
import dev.fedgrid.core.secagg.SecAggResult;
import dev.fedgrid.core.secagg.SecAggServer;
import dev.fedgrid.core.secagg.SecAggStage;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The fit phase of a round under secure aggregation: one {@link SecAggServer} driven through stages
 * 1 to 4 while the nodes' messages arrive through their {@link RoundTask}s.
 *
 * <p>Nodes train first and then advertise their keys, so stage 1 closes at the round's fit deadline
 * and a node that dies while training never enters the protocol; stages 2 to 4 are crypto only and
 * close after the shorter stage time-out. Each stage closes as soon as every node still in the round
 * answered, at its deadline, or once the silent ones are reported offline; whoever has not answered
 * by then drops out ({@code SecAggServer} recovers what it left in the sum). The server's messages
 * for the next stage wait in a one-slot outbox per node, which the transport drains ({@link
 * RoundTask#secAggAwait}).
 *
 * <p>Any failure of the server (a message that breaks the protocol, too few survivors) abandons the
 * round: no sum is released, every open task fails, and later messages are refused with {@code
 * SECAGG_ROUND_ABANDONED}. A message that arrives after its stage closed is refused with {@code
 * SECAGG_LATE_MESSAGE} and changes nothing.
 *
 * <p>Thread-safe: messages from many threads are serialized by one lock, under which the server is
 * called; the driver waits on its condition.
 */
final class SecurePhase {
  private static final List<SecAggStage> STAGES = List.of(SecAggStage.ADVERTISE_KEYS, SecAggStage.SHARE_KEYS, SecAggStage.MASKED_INPUT, SecAggStage.UNMASKING);

  private final SecAggServer server;
  private final RoundAggregation aggregation;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<RoundTask> tasks = new ArrayList<>();
  private final BitSet live = new BitSet();
  private final BitSet answered = new BitSet();
  private final BitSet inSum = new BitSet();
  private final FromServer[] outbox;
  private final long[] examples;
  private final List<NodeFailure> failures = new ArrayList<>();
  private SecAggStage stage = SecAggStage.ADVERTISE_KEYS;
  private String abandoned;
  private boolean tooFew;
  private int tooFewInputs;

  SecurePhase(SecAggServer server, RoundAggregation aggregation) {
    this.server = server;
    this.aggregation = aggregation;
    this.outbox = new FromServer[server.config().clients()];
    this.examples = new long[server.config().clients()];
  }

  /** Adds the task of round-local node {@code tasks.size()}. */
  void add(RoundTask task) {
    lock.lock();
    try {
      live.set(tasks.size());
      tasks.add(task);
    } finally {
      lock.unlock();
    }
  }

  /** Hands one node message to the server; see {@link RoundTask#secAggSubmit}. */
  void submit(RoundTask task, FromClient message, long taskExamples) {
    lock.lock();
    try {
      int i = task.secAggIndex();
      if (abandoned != null) throw abandonedError(task);
      if (!live.get(i)) {
        throw new ConflictException(
            "SECAGG_LATE_MESSAGE", task + " was counted out of its SecAgg+ round before stage " + stage + " (it dropped out or missed a deadline); the message is refused",
            Map.of("stage", stage.name()));
      }
      if (message.node() != i) {
        throw new InvalidRequestException(
            "SECAGG_WRONG_NODE", task + " is node " + i + " of its SecAgg+ round, but the message says node " + message.node() + "; the message is refused",
            Map.of("expected", i, "actual", message.node()));
      }
      if (message instanceof AdvertiseKeys && taskExamples < 1) {
        throw new InvalidRequestException("INVALID_EXAMPLES", task + " must report its training examples (at least 1) with its SecAgg+ keys, got " + taskExamples);
      }
      try {
        server.receive(message);
      } catch (FedGridException e) {
        if (server.stage() == SecAggStage.FAILED) abandonLocked(e.getMessage(), false);
        throw e;
      }
      if (message instanceof AdvertiseKeys) examples[i] = taskExamples;
      answered.set(i);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The node's next server message, waiting up to {@code maxWait}; see {@link RoundTask#secAggAwait}. */
  FromServer await(RoundTask task, Duration maxWait) throws InterruptedException {
    lock.lock();
    try {
      int i = task.secAggIndex();
      long nanos = maxWait.toNanos();
      while (true) {
        FromServer m = outbox[i];
        if (m != null) {
          outbox[i] = null;
          return m;
        }
        if (abandoned != null) throw abandonedError(task);
        if (!live.get(i)) throw new ConflictException("SECAGG_DROPPED", task + " was counted out of its SecAgg+ round at stage " + stage, Map.of("stage", stage.name()));
        if (stage == SecAggStage.DONE) throw new ConflictException("SECAGG_ROUND_DONE", task + ": the SecAgg+ round is over; there is no further message");
        if (nanos <= 0) return null;
        nanos = changed.awaitNanos(nanos);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The node reported a failure or the fleet lost it: it drops out of the round. */
  void fail(RoundTask task, String reason) {
    lock.lock();
    try {
      if (abandoned == null && live.get(task.secAggIndex())) dropLocked(task.secAggIndex(), reason);
    } finally {
      lock.unlock();
    }
  }

  /** Abandons the round (abort): no sum, every open task fails with {@code reason}. */
  void abandon(String reason) {
    lock.lock();
    try {
      if (abandoned == null) abandonLocked(reason, false);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Drives stages 1 to 4.
   *
   * @param fitDeadline when stage 1 closes (training plus the keys)
   * @param minNodes fewest masked inputs the round may sum
   * @return the unmasked sum, or {@code null} when the round was abandoned ({@link #abandonedReason},
   *     {@link #tooFew})
   */
  SecAggResult drive(Instant fitDeadline, Duration stageTimeout, int minNodes, InstantSource clock, Duration pollEvery, Predicate<NodeId> offline, RoundPlan plan,
      RoundListener listener) throws InterruptedException {
    int selected = tasks.size();
    for (SecAggStage s : STAGES) {
      Instant deadline = s == SecAggStage.ADVERTISE_KEYS ? fitDeadline : clock.instant().plus(stageTimeout);
      awaitStage(deadline, clock, pollEvery, offline);
      SecAggResult result = null;
      int survivors;
      lock.lock();
      try {
        if (abandoned != null) return null;
        for (int i = live.nextSetBit(0); i >= 0; i = live.nextSetBit(i + 1)) {
          if (!answered.get(i)) dropLocked(i, "no SecAgg+ " + s + " message before the stage's deadline");
        }
        try {
          switch (s) {
            case ADVERTISE_KEYS -> server.closeAdvertiseKeys().forEach(m -> outbox[m.node()] = m);
            case SHARE_KEYS -> server.closeShareKeys().forEach(m -> outbox[m.node()] = m);
            case MASKED_INPUT -> {
              if (answered.cardinality() < minNodes) {
                tooFew = true;
                tooFewInputs = answered.cardinality();
                abandonLocked("SecAgg+ stage " + s + ": " + answered.cardinality() + " of " + selected + " masked inputs arrived, " + minNodes + " needed", true);
                return null;
              }
              server.closeMaskedInput().forEach(m -> outbox[m.node()] = m);
              inSum.or(answered);
            }
            default -> result = server.finish();
          }
        } catch (FedGridException e) {
          abandonLocked(e.getMessage(), false);
          return null;
        }
        survivors = answered.cardinality();
        live.clear();
        live.or(answered);
        answered.clear();
        stage = s == SecAggStage.UNMASKING ? SecAggStage.DONE : STAGES.get(STAGES.indexOf(s) + 1);
        if (result != null) {
          for (int i = inSum.nextSetBit(0); i >= 0; i = inSum.nextSetBit(i + 1)) tasks.get(i).close(true);
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      listener.secAggStageClosed(plan, s, survivors, selected);
      if (result != null) return result;
    }
    throw new IllegalStateException("unreachable: stage 4 returns the sum");
  }

  private void awaitStage(Instant deadline, InstantSource clock, Duration pollEvery, Predicate<NodeId> offline) throws InterruptedException {
    lock.lock();
    try {
      while (abandoned == null && !allAnswered()) {
        Instant now = clock.instant();
        if (!now.isBefore(deadline)) return;
        for (int i = live.nextSetBit(0); i >= 0; i = live.nextSetBit(i + 1)) {
          if (!answered.get(i) && offline.test(tasks.get(i).node())) dropLocked(i, "node went offline during SecAgg+ stage " + stage);
        }
        if (allAnswered()) return;
        long waitNanos = Math.min(Duration.between(now, deadline).toNanos(), pollEvery.toNanos());
        changed.await(Math.max(waitNanos, 1), TimeUnit.NANOSECONDS);
      }
    } finally {
      lock.unlock();
    }
  }

  private boolean allAnswered() {
    BitSet silent = (BitSet) live.clone();
    silent.andNot(answered);
    return silent.isEmpty();
  }

  String abandonedReason() {
    lock.lock();
    try {
      return abandoned;
    } finally {
      lock.unlock();
    }
  }

  /** Whether the round was abandoned because fewer than {@code minNodes} masked inputs arrived. */
  boolean tooFew() {
    lock.lock();
    try {
      return tooFew;
    } finally {
      lock.unlock();
    }
  }

  /** How many masked inputs arrived (U3); valid once stage 3 closed. */
  int inputs() {
    lock.lock();
    try {
      return tooFew ? tooFewInputs : inSum.cardinality();
    } finally {
      lock.unlock();
    }
  }

  List<NodeFailure> failures() {
    lock.lock();
    try {
      return List.copyOf(failures);
    } finally {
      lock.unlock();
    }
  }

  /** The examples each summed node reported with its keys; valid after {@link #drive} returned a sum. */
  long examples() {
    lock.lock();
    try {
      long total = 0;
      for (int i = inSum.nextSetBit(0); i >= 0; i = inSum.nextSetBit(i + 1)) total += examples[i];
      return total;
    } finally {
      lock.unlock();
    }
  }

  /** For each summed node, examples x epochs. */
  Map<NodeId, Long> contributions(int epochs) {
    lock.lock();
    try {
      var out = new LinkedHashMap<NodeId, Long>();
      for (int i = inSum.nextSetBit(0); i >= 0; i = inSum.nextSetBit(i + 1)) out.put(tasks.get(i).node(), examples[i] * epochs);
      return out;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Counts node {@code i} out. Before its masked input is in the sum that fails its fit task; after
   * (a silent survivor at stage 4) its input stays in the sum and only its part in unmasking ends.
   */
  private void dropLocked(int i, String reason) {
    live.clear(i);
    RoundTask task = tasks.get(i);
    if (!inSum.get(i)) {
      failures.add(new NodeFailure(task.node(), PhaseKind.FIT.wireName(), reason));
      aggregation.accept(new FitOutcome.Failure(task.node(), reason));
      task.close(false);
    }
    changed.signalAll();
  }

  private void abandonLocked(String reason, boolean keepFailures) {
    abandoned = reason;
    stage = SecAggStage.FAILED;
    for (int i = 0; i < tasks.size(); i++) {
      RoundTask task = tasks.get(i);
      if (!task.open()) continue;
      if (!keepFailures || !answered.get(i)) failures.add(new NodeFailure(task.node(), PhaseKind.FIT.wireName(), "SecAgg+ round abandoned: " + reason));
      task.close(false);
    }
    live.clear();
    changed.signalAll();
  }

  private ConflictException abandonedError(RoundTask task) {
    return new ConflictException("SECAGG_ROUND_ABANDONED", "the SecAgg+ round of " + task + " was abandoned: " + abandoned);
  }
}
