package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import java.time.Instant;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The coordinator's in-memory view of one node: its mailbox of tasks waiting to be pulled, when it
 * was last heard from, and which job has reserved it. Thread-safe.
 */
final class NodeSlot {
  final NodeId id;
  final LinkedBlockingQueue<OpenTask> mailbox = new LinkedBlockingQueue<>();
  private volatile Instant lastSeen;
  private volatile Instant lastPersisted;
  private volatile JobId reservedBy;
  /** Whether the node has called this gateway process; a restarted gateway trusts no stored time. */
  private volatile boolean connected;

  /**
   * @param lastSeen when the node was last heard from (stored, for display)
   * @param connected whether the node is talking to this process right now; false for nodes loaded
   *     from the store at start, which count as offline until they call again
   */
  NodeSlot(NodeId id, Instant lastSeen, boolean connected) {
    this.id = id;
    this.lastSeen = lastSeen;
    this.lastPersisted = lastSeen;
    this.connected = connected;
  }

  Instant lastSeen() {
    return lastSeen;
  }

  /** Marks the node seen; returns true when the time should also be written to the store. */
  boolean seen(Instant now, java.time.Duration persistEvery) {
    lastSeen = now;
    connected = true;
    if (now.isAfter(lastPersisted.plus(persistEvery))) {
      lastPersisted = now;
      return true;
    }
    return false;
  }

  boolean online(Instant now, java.time.Duration timeout) {
    return connected && !lastSeen.plus(timeout).isBefore(now);
  }

  JobId reservedBy() {
    return reservedBy;
  }

  synchronized boolean reserve(JobId job) {
    if (reservedBy != null && !reservedBy.equals(job)) return false;
    reservedBy = job;
    return true;
  }

  synchronized void release(JobId job) {
    if (job.equals(reservedBy)) {
      reservedBy = null;
      mailbox.removeIf(t -> t.assignment.job().equals(job));
    }
  }
}
