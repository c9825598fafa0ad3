package dev.fedgrid.core.round;

import dev.fedgrid.api.NodeId;
import java.util.List;

/**
 * The port through which the {@link RoundDriver} reaches the nodes of a round; the one thing that
 * differs between the real grid and the simulator. The gateway implements it over its coordinator
 * (tasks wait in per-node mailboxes that nodes drain over the gRPC fleet API); {@code fedgrid-sim}
 * implements it in memory, with virtual nodes on virtual threads.
 *
 * <p>Whatever the transport, a node's result comes back through its task: {@link
 * RoundTask#deliverFit}, {@link RoundTask#deliverEvaluation} or {@link RoundTask#fail}, from any
 * thread. Implementations must be safe to call from the driver's thread while results arrive on
 * others.
 */
public interface RoundFleet {
  /**
   * Sends one phase's tasks to their nodes, all of them before the driver starts waiting. Must not
   * block on the nodes' work: results arrive later through the tasks.
   */
  void dispatch(List<RoundTask> tasks);

  /**
   * Whether {@code node} has gone silent; the driver fails its open tasks with "node went offline"
   * instead of waiting for the deadline. Called about every poll interval while a phase waits.
   */
  boolean offline(NodeId node);

  /** Whether {@code node} can evaluate, that is holds a test split; only those get evaluate tasks. */
  boolean evaluates(NodeId node);
}
