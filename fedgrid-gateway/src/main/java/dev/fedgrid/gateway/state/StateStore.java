package dev.fedgrid.gateway.state;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.Parameters;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The gateway's durable state: nodes, the dataset catalogue, jobs, their completed rounds with
 * checkpoints, and each job's event log. Everything the gateway acknowledged is here, so a
 * restarted gateway loses nothing and resumes running jobs at their last checkpoint.
 *
 * <p>Implementations are thread-safe. Every method is atomic: it either happens whole or not at
 * all. SQLite is the default backend; the SQL is kept portable for PostgreSQL. Every
 * implementation passes {@code StateStoreContract}.
 */
public interface StateStore extends AutoCloseable {

  // ---- nodes ----

  /** Inserts or replaces a node (matched by id). */
  void putNode(NodeRecord node);

  Optional<NodeRecord> node(NodeId id);

  /** All nodes, oldest first. */
  List<NodeRecord> nodes();

  /** Records that the node was heard from at {@code when}; no-op for an unknown node. */
  void touchNode(NodeId id, Instant when);

  // ---- datasets ----

  /**
   * Registers a node's dataset, or updates its metadata when the node already registered one with
   * the same name; the dataset keeps its id across updates.
   */
  DatasetInfo putDataset(NodeId node, DatasetMetadata metadata, Instant when);

  Optional<DatasetInfo> dataset(DatasetId id);

  /** The catalogue, oldest first, optionally only the datasets of one name. */
  List<DatasetInfo> datasets(Optional<String> name);

  /** Datasets registered by one node, oldest first. */
  List<DatasetInfo> datasetsOf(NodeId node);

  // ---- jobs ----

  /**
   * Stores a new job.
   *
   * @throws dev.fedgrid.api.ConflictException when a job with that id exists
   */
  void insertJob(Job job);

  /**
   * Stores a new job together with the parameters it starts from (its round-0 checkpoint), in one
   * transaction, so no reader ever sees a job without a checkpoint.
   *
   * @throws dev.fedgrid.api.ConflictException when a job with that id exists
   */
  void createJob(Job job, Parameters initial);

  /**
   * Replaces a job's mutable fields (state, completed rounds, message, timestamps, metrics).
   *
   * @throws dev.fedgrid.api.NotFoundException when there is no such job
   * @throws dev.fedgrid.api.ConflictException when the stored state cannot move to the new one
   *     ({@link JobState#canMoveTo}) — a finished job stays finished
   */
  void updateJob(Job job);

  Optional<Job> job(JobId id);

  /**
   * Jobs newest first, at most {@code limit}, starting after the job {@code after} when present;
   * only jobs in one of {@code states} unless that is empty.
   */
  default List<Job> jobs(List<JobState> states, Optional<JobId> after, int limit) {
    return jobs(states, Optional.empty(), after, limit);
  }

  /**
   * As {@link #jobs(List, Optional, int)}, only jobs submitted by {@code owner} (a login name)
   * when present.
   */
  List<Job> jobs(List<JobState> states, Optional<String> owner, Optional<JobId> after, int limit);

  /**
   * Deletes a job with its rounds, checkpoints and events.
   *
   * @throws dev.fedgrid.api.NotFoundException when there is no such job
   */
  void deleteJob(JobId id);

  // ---- rounds and checkpoints ----

  /**
   * Stores the parameters a job starts from (round 0) before its first round. Replaces any earlier
   * round-0 checkpoint.
   */
  void saveInitialCheckpoint(JobId job, Parameters parameters);

  /**
   * Atomically records a completed round: its summary, the new global parameters and the
   * strategy's state as the checkpoint for {@code summary.round()}, and the job row (whose {@code
   * completedRounds} must equal {@code summary.round()}).
   *
   * @throws dev.fedgrid.api.ConflictException when that round was already recorded
   */
  void completeRound(Job job, RoundSummary summary, Checkpoint checkpoint);

  /** The newest checkpoint of a job (round 0 is the initial parameters). */
  Optional<Checkpoint> latestCheckpoint(JobId job);

  /** Completed rounds of a job, in round order. */
  List<RoundSummary> rounds(JobId job);

  // ---- events ----

  /** Appends an event to a job's log; returns it with its sequence number. */
  JobEvent appendEvent(JobId job, String type, String message, Instant when);

  /** A job's events with sequence numbers greater than {@code afterSeq}, in order. */
  List<JobEvent> events(JobId job, long afterSeq);

  @Override
  void close();
}
