package dev.fedgrid.gateway.control;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetQuery;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.state.JobEvent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the control API (REST) asks of the gateway, free of any HTTP type. Every method takes the
 * authenticated caller first: the REST layer has already checked the route's permission, and the
 * implementation checks what depends on the object (is this the caller's job?). Failures are {@link
 * dev.fedgrid.api.FedGridException}s that the REST layer maps to statuses and error bodies.
 *
 * <p><b>Who sees a job.</b> A job is visible to the user who submitted it ({@link Job#owner()}) and
 * to users whose role has {@code can_triage_requests} (compliance, who decide what leaves). A job
 * that is not visible is answered exactly as a job that does not exist ({@code JOB_NOT_FOUND}), so
 * that ids of other people's jobs cannot be probed.
 *
 * <p>Implementations are thread-safe.
 */
public interface GatewayControl {
  /**
   * Validates and queues a job owned by {@code caller}: the named datasets must exist and agree on
   * feature shape and label, the model must fit them, and every {@link
   * dev.fedgrid.gateway.jobs.JobAdmission} must admit it.
   *
   * @throws dev.fedgrid.api.InvalidRequestException with a message saying what does not fit
   * @throws dev.fedgrid.api.NotFoundException when a named dataset is not in the catalogue
   */
  Job submitJob(Principal caller, JobSpec spec);

  /** A job visible to the caller. */
  Job job(Principal caller, JobId id);

  /**
   * Jobs visible to the caller, newest first; see {@link
   * dev.fedgrid.gateway.state.StateStore#jobs}.
   */
  List<Job> jobs(Principal caller, List<JobState> states, Optional<JobId> after, int limit);

  /**
   * Cancels a queued or running job; the current round is abandoned and completed rounds stay. Its
   * submitter may cancel it, and so may an operator ({@code can_manage_infrastructure}).
   *
   * @throws dev.fedgrid.api.ConflictException when the job already finished
   */
  Job cancelJob(Principal caller, JobId id);

  /**
   * Deletes a finished job and everything stored for it; the same users as for {@link #cancelJob}.
   *
   * @throws dev.fedgrid.api.ConflictException when the job is still queued or running
   */
  void deleteJob(Principal caller, JobId id);

  List<RoundSummary> rounds(Principal caller, JobId id);

  /**
   * A job's events after sequence number {@code afterSeq}, waiting up to {@code maxWait} for the
   * first one when there are none yet (for server-sent events and long polling).
   */
  List<JobEvent> events(Principal caller, JobId id, long afterSeq, Duration maxWait) throws InterruptedException;

  List<NodeInfo> nodes(Principal caller);

  NodeInfo node(Principal caller, NodeId id);

  /** The catalogue's entries matching {@code query} (metadata only, never rows), oldest first. */
  List<DatasetInfo> datasets(Principal caller, DatasetQuery query);

  DatasetInfo dataset(Principal caller, DatasetId id);

  /**
   * The job's latest global model, to be sent to the caller: only the job's submitter downloads it,
   * and the download is recorded in the audit ledger ({@code model.downloaded}).
   *
   * @throws dev.fedgrid.api.ConflictException when no round has completed yet
   */
  ModelArtifact model(Principal caller, JobId id);

  /**
   * The job's latest global model, to describe it (spec, shapes and layout; the parameters are not
   * sent, so nothing is recorded): visible to whoever sees the job.
   *
   * @throws dev.fedgrid.api.ConflictException when no round has completed yet
   */
  ModelArtifact inspectModel(Principal caller, JobId id);
}
