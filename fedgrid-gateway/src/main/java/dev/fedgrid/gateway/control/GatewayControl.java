package dev.fedgrid.gateway.control;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.gateway.state.JobEvent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the control API (REST) asks of the gateway, free of any HTTP type. Failures are {@link
 * dev.fedgrid.api.FedGridException}s that the REST layer maps to statuses and error bodies.
 *
 * <p>Implementations are thread-safe.
 */
public interface GatewayControl {
  /**
   * Validates and queues a job: the named datasets must exist and agree on feature shape and label,
   * and the model must fit them.
   *
   * @throws dev.fedgrid.api.InvalidRequestException with a message saying what does not fit
   * @throws dev.fedgrid.api.NotFoundException when a named dataset is not in the catalogue
   */
  Job submitJob(JobSpec spec);

  Job job(JobId id);

  /** Jobs newest first; see {@link dev.fedgrid.gateway.state.StateStore#jobs}. */
  List<Job> jobs(List<JobState> states, Optional<JobId> after, int limit);

  /**
   * Cancels a queued or running job; the current round is abandoned and completed rounds stay.
   *
   * @throws dev.fedgrid.api.ConflictException when the job already finished
   */
  Job cancelJob(JobId id);

  /**
   * Deletes a finished job and everything stored for it.
   *
   * @throws dev.fedgrid.api.ConflictException when the job is still queued or running
   */
  void deleteJob(JobId id);

  List<RoundSummary> rounds(JobId id);

  /**
   * A job's events after sequence number {@code afterSeq}, waiting up to {@code maxWait} for the
   * first one when there are none yet (for server-sent events and long polling).
   */
  List<JobEvent> events(JobId id, long afterSeq, Duration maxWait) throws InterruptedException;

  List<NodeInfo> nodes();

  NodeInfo node(NodeId id);

  /** The catalogue, optionally filtered by exact name and by tag. */
  List<DatasetInfo> datasets(Optional<String> name, Optional<String> tag);

  DatasetInfo dataset(DatasetId id);

  /**
   * The job's latest global model.
   *
   * @throws dev.fedgrid.api.ConflictException when no round has completed yet
   */
  ModelArtifact model(JobId id);
}
