package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.job.ResourceUsage;
import dev.fedgrid.api.model.Parameters;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * What the fleet API (gRPC) asks of the gateway, free of any transport type. The gRPC service
 * authenticates each call with {@link #authenticate}, then translates messages into these calls
 * and {@link dev.fedgrid.api.FedGridException}s into gRPC statuses.
 *
 * <p>Every call is idempotent by its ids or refused as a replay: a second update for the same task
 * is a {@link dev.fedgrid.api.ConflictException}. Implementations are thread-safe.
 */
public interface FleetBackend {
  /**
   * Registers a node and its datasets' metadata. A node that sends back the id and token it got
   * earlier keeps its id (and its datasets keep theirs); otherwise it gets a new id and token.
   */
  Registration register(NodeHello hello);

  /**
   * Checks a node's credentials.
   *
   * @throws dev.fedgrid.api.UnauthenticatedException when the node is unknown or the token wrong
   */
  void authenticate(NodeId node, String token);

  /**
   * The name a node registered with, empty when the node is unknown. Over mutual TLS the fleet API
   * checks it against the common name of the certificate the node presents.
   */
  Optional<String> nodeName(NodeId node);

  /** Records that the node is alive. */
  void heartbeat(NodeId node);

  /**
   * Waits up to {@code maxWait} for a task for this node; empty when none arrived in time.
   *
   * @throws InterruptedException when the calling thread is interrupted (the call was cancelled)
   */
  Optional<TaskAssignment> pollTask(NodeId node, Duration maxWait) throws InterruptedException;

  /**
   * The parameters a task starts from.
   *
   * @throws dev.fedgrid.api.NotFoundException when the task is unknown or not this node's
   * @throws dev.fedgrid.api.ConflictException when the task is no longer open (round over, job
   *     cancelled)
   */
  Parameters taskParameters(NodeId node, TaskId task);

  /**
   * A fit task's result.
   *
   * @throws dev.fedgrid.api.InvalidRequestException wrong layout, NaN or infinite values, examples
   *     out of range; nothing changes
   * @throws dev.fedgrid.api.ConflictException the task already delivered or is closed
   */
  void completeFit(NodeId node, TaskId task, Parameters parameters, long examples, Map<String, Double> metrics);

  /** An evaluate task's result; the same rules as {@link #completeFit}. */
  void completeEvaluation(NodeId node, TaskId task, long examples, Map<String, Double> metrics);

  /**
   * A fit task's result with what delivering it used: the CPU time the node reported and the bytes
   * of the result as received. The usage counts for the task only if the result is taken. The
   * default ignores the usage, for backends that do not meter.
   *
   * @throws dev.fedgrid.api.InvalidRequestException also when the CPU time is implausible; nothing
   *     changes
   */
  default void completeFit(NodeId node, TaskId task, Parameters parameters, long examples, Map<String, Double> metrics, ResourceUsage usage) {
    completeFit(node, task, parameters, examples, metrics);
  }

  /** An evaluate task's result with what delivering it used; as {@link #completeFit(NodeId, TaskId, Parameters, long, Map, ResourceUsage)}. */
  default void completeEvaluation(NodeId node, TaskId task, long examples, Map<String, Double> metrics, ResourceUsage usage) {
    completeEvaluation(node, task, examples, metrics);
  }

  /**
   * The fleet API finished streaming a task's parameters to its node: {@code bytes} were sent (all
   * of them, or fewer when the node cancelled the stream). Counted as bytes moved for the task. The
   * default ignores it.
   */
  default void parametersSent(NodeId node, TaskId task, long bytes) {}

  /** The node could not do the task; {@code reason} is shown to the job's owner. */
  void failTask(NodeId node, TaskId task, String reason);

  /**
   * Records who signed a result the backend has just accepted ({@link #completeFit}, {@link
   * #completeEvaluation} or {@link #failTask} returned), for the audit trail. Called over mutual
   * TLS only, where every result is signed and verified before it reaches the backend; a result
   * whose signature is missing or wrong never reaches it. Does nothing unless overridden.
   */
  default void resultSigned(NodeId node, TaskId task, ResultSignature signature) {}

  /**
   * The SecAgg+ setup of a fit task under secure aggregation, for checking its messages' sizes.
   *
   * @throws dev.fedgrid.api.NotFoundException when the task is unknown or not this node's
   * @throws dev.fedgrid.api.InvalidRequestException with code {@code SECAGG_NOT_ENABLED} when the
   *     task is not under secure aggregation
   */
  default dev.fedgrid.core.secagg.SecAggAssignment secAggAssignment(NodeId node, TaskId task) {
    throw new dev.fedgrid.api.InvalidRequestException("SECAGG_NOT_ENABLED", "this gateway runs no secure aggregation");
  }

  /**
   * One SecAgg+ message of the node for its task's round ({@link dev.fedgrid.core.round.RoundTask#secAggSubmit}).
   *
   * @param examples the training examples, with the stage-1 keys only
   */
  default void secAggSubmit(NodeId node, TaskId task, dev.fedgrid.core.secagg.SecAggMessage.FromClient message, long examples) {
    throw new dev.fedgrid.api.InvalidRequestException("SECAGG_NOT_ENABLED", "this gateway runs no secure aggregation");
  }

  /**
   * The round's next SecAgg+ message for the node, waiting up to {@code maxWait}; {@code null} when
   * its stage is still open ({@link dev.fedgrid.core.round.RoundTask#secAggAwait}).
   *
   * @throws InterruptedException when the call was cancelled
   */
  default dev.fedgrid.core.secagg.SecAggMessage.FromServer secAggAwait(NodeId node, TaskId task, Duration maxWait) throws InterruptedException {
    throw new dev.fedgrid.api.InvalidRequestException("SECAGG_NOT_ENABLED", "this gateway runs no secure aggregation");
  }
}
