package dev.fedgrid.core.round;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import java.time.Instant;
import java.util.Map;

/**
 * One node's share of a round, as the {@link RoundDriver} hands it to a {@link RoundFleet}: what to
 * do, from which parameters, by when, and the way back for its result. The fleet adds whatever its
 * transport needs (the gateway: the dataset, model spec and scaling of the job).
 *
 * <p>Thread-safe: a result may arrive on any thread; state changes go through the lock of the
 * phase that collects it, and a task accepts one result (or failure) only.
 */
public final class RoundTask {
  private final TaskId id;
  private final NodeId node;
  private final PhaseKind kind;
  private final int round;
  private final Instant deadline;
  private final double proximalMu;
  private final DifferentialPrivacy localPrivacy;
  final Phase phase;
  private volatile Parameters start;
  private volatile boolean open = true;
  private volatile boolean delivered;

  RoundTask(TaskId id, NodeId node, PhaseKind kind, int round, Parameters start, Instant deadline, double proximalMu, DifferentialPrivacy localPrivacy, Phase phase) {
    this.id = id;
    this.node = node;
    this.kind = kind;
    this.round = round;
    this.start = start;
    this.deadline = deadline;
    this.proximalMu = proximalMu;
    this.localPrivacy = localPrivacy;
    this.phase = phase;
  }

  public TaskId id() {
    return id;
  }

  public NodeId node() {
    return node;
  }

  public PhaseKind kind() {
    return kind;
  }

  public int round() {
    return round;
  }

  /** When the phase closes; a result after it is refused. */
  public Instant deadline() {
    return deadline;
  }

  /** FedProx's {@code mu} for fit tasks, 0 otherwise. */
  public double proximalMu() {
    return proximalMu;
  }

  /** The local DP settings a fit task carries, or {@code null}. */
  public DifferentialPrivacy localPrivacy() {
    return localPrivacy;
  }

  /** The parameters to start from, or {@code null} once the task closed (they are dropped then). */
  public Parameters start() {
    return start;
  }

  public boolean open() {
    return open;
  }

  /** Whether the node's result arrived (as opposed to the task failing or timing out). */
  public boolean delivered() {
    return delivered;
  }

  /**
   * Hands in a fit task's update, folded into the round's aggregate at once.
   *
   * @throws dev.fedgrid.api.ConflictException with code {@code UPDATE_ALREADY_RECEIVED} or {@code
   *     TASK_CLOSED} when the task already has a result or closed
   * @throws dev.fedgrid.api.FedGridException when the strategy rejects the update; the task then
   *     fails with "update rejected: ..."
   */
  public void deliverFit(Parameters parameters, long examples, Map<String, Double> metrics) {
    phase.deliverFit(this, parameters, examples, metrics);
  }

  /** Hands in an evaluate task's metrics; the same conflicts as {@link #deliverFit}. */
  public void deliverEvaluation(long examples, Map<String, Double> metrics) {
    phase.deliverEvaluation(this, examples, metrics);
  }

  /** Records that the task failed, for {@code reason}; no-op once it closed. */
  public void fail(String reason) {
    phase.fail(this, reason);
  }

  /** Called by the phase under its lock. */
  void close(boolean resultArrived) {
    delivered = resultArrived;
    open = false;
    start = null;
  }

  @Override
  public String toString() {
    return kind.wireName() + " task " + id + " of round " + round + " for node " + node;
  }
}
