package dev.fedgrid.core.round;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.core.secagg.SecAggAssignment;
import dev.fedgrid.core.secagg.SecAggMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

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
  final Phase phase; // null for a fit task under secure aggregation
  private final SecurePhase secure; // null unless under secure aggregation
  private final SecAggAssignment secAgg;
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
    this.secure = null;
    this.secAgg = null;
  }

  /** A fit task under secure aggregation, node {@code secAgg.setup().node()} of its SecAgg+ round. */
  RoundTask(TaskId id, NodeId node, int round, Parameters start, Instant deadline, double proximalMu, DifferentialPrivacy localPrivacy, SecurePhase secure,
      SecAggAssignment secAgg) {
    this.id = id;
    this.node = node;
    this.kind = PhaseKind.FIT;
    this.round = round;
    this.start = start;
    this.deadline = deadline;
    this.proximalMu = proximalMu;
    this.localPrivacy = localPrivacy;
    this.phase = null;
    this.secure = secure;
    this.secAgg = secAgg;
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

  /**
   * For a fit task under secure aggregation, the node's SecAgg+ setup and how to prepare its input;
   * {@code null} otherwise. Such a task never takes an update in the clear ({@link #deliverFit}):
   * after training the node sends its masked input through {@link #secAggSubmit}.
   */
  public SecAggAssignment secAgg() {
    return secAgg;
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
    if (secure != null) {
      throw new InvalidRequestException(
          "SECAGG_REQUIRED", this + " runs under secure aggregation: the update is sent masked through the SecAgg+ stages, never in the clear");
    }
    phase.deliverFit(this, parameters, examples, metrics);
  }

  /**
   * Hands in one SecAgg+ message of this task's node, for the stage that is open.
   *
   * @param examples with the stage-1 {@link SecAggMessage.AdvertiseKeys}, the node's training
   *     examples (for contributions); ignored with the other stages
   * @throws InvalidRequestException with code {@code SECAGG_NOT_ENABLED} for a task without secure
   *     aggregation, {@code SECAGG_WRONG_NODE} when the message names another node of the round, or
   *     as {@link dev.fedgrid.core.secagg.SecAggServer#receive} (a message that breaks the protocol,
   *     which abandons the round)
   * @throws dev.fedgrid.api.ConflictException with code {@code SECAGG_LATE_MESSAGE} when its stage
   *     closed or the node was counted out (the round goes on), {@code SECAGG_ROUND_ABANDONED} when
   *     the round was abandoned
   */
  public void secAggSubmit(SecAggMessage.FromClient message, long examples) {
    Objects.requireNonNull(message, "message");
    requireSecure().submit(this, message, examples);
  }

  /**
   * The round's next SecAgg+ message for this task's node, waiting up to {@code maxWait} for the
   * stage it answered to close.
   *
   * @return the message, or {@code null} when the stage is still open after {@code maxWait}
   * @throws dev.fedgrid.api.ConflictException with code {@code SECAGG_ROUND_ABANDONED} (the round
   *     failed, nothing will come), {@code SECAGG_DROPPED} (the node was counted out) or {@code
   *     SECAGG_ROUND_DONE}
   */
  public SecAggMessage.FromServer secAggAwait(Duration maxWait) throws InterruptedException {
    return requireSecure().await(this, maxWait);
  }

  private SecurePhase requireSecure() {
    if (secure == null) throw new InvalidRequestException("SECAGG_NOT_ENABLED", this + " does not run under secure aggregation");
    return secure;
  }

  /** The node's round-local number in its SecAgg+ round. */
  int secAggIndex() {
    return secAgg.setup().node();
  }

  /** Hands in an evaluate task's metrics; the same conflicts as {@link #deliverFit}. */
  public void deliverEvaluation(long examples, Map<String, Double> metrics) {
    if (phase == null) throw new InvalidRequestException("WRONG_TASK_KIND", "task " + id + " is a fit task");
    phase.deliverEvaluation(this, examples, metrics);
  }

  /** Records that the task failed, for {@code reason}; no-op once it closed. */
  public void fail(String reason) {
    if (secure != null) secure.fail(this, reason);
    else phase.fail(this, reason);
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
