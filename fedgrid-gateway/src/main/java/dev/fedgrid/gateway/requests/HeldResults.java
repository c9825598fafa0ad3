package dev.fedgrid.gateway.requests;

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
import dev.fedgrid.gateway.control.GatewayControl;
import dev.fedgrid.gateway.control.ModelArtifact;
import dev.fedgrid.gateway.state.JobEvent;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The control API as results leave it: a {@link GatewayControl} that passes every call to the
 * coordinator, but refuses the model of a held job ({@code RELEASE_REQUIRED}, see {@link
 * ReleaseRequests#requireReleased}) and removes metrics other than the aggregate loss and accuracy
 * from held jobs and their rounds. The job is read first with the caller's own rights, so a job the
 * caller may not see stays {@code JOB_NOT_FOUND}.
 *
 * <p>Thread-safe.
 */
public final class HeldResults implements GatewayControl {
  private final GatewayControl control;
  private final ReleaseRequests releases;

  public HeldResults(GatewayControl control, ReleaseRequests releases) {
    this.control = Objects.requireNonNull(control, "control");
    this.releases = Objects.requireNonNull(releases, "releases");
  }

  @Override
  public ModelArtifact model(Principal caller, JobId id) {
    Job job = control.job(caller, id);
    // Only the submitter may download at all (the coordinator refuses anyone else with
    // NOT_JOB_OWNER); ask about the release only for them, so nobody else causes a refusal
    // or an automatic release in the audit ledger.
    if (job.owner().equals(caller.name())) releases.requireReleased(caller, job);
    return control.model(caller, id);
  }

  @Override
  public ModelArtifact inspectModel(Principal caller, JobId id) {
    releases.requireReleased(caller, control.job(caller, id));
    return control.inspectModel(caller, id);
  }

  @Override
  public Job job(Principal caller, JobId id) {
    return releases.redact(caller, control.job(caller, id));
  }

  @Override
  public List<Job> jobs(Principal caller, List<JobState> states, Optional<JobId> after, int limit) {
    return control.jobs(caller, states, after, limit).stream().map(j -> releases.redact(caller, j)).toList();
  }

  @Override
  public List<RoundSummary> rounds(Principal caller, JobId id) {
    Job job = control.job(caller, id);
    return releases.redact(caller, job, control.rounds(caller, id));
  }

  @Override
  public Job submitJob(Principal caller, JobSpec spec) {
    return control.submitJob(caller, spec);
  }

  @Override
  public Job cancelJob(Principal caller, JobId id) {
    return releases.redact(caller, control.cancelJob(caller, id));
  }

  @Override
  public void deleteJob(Principal caller, JobId id) {
    control.deleteJob(caller, id);
  }

  @Override
  public List<JobEvent> events(Principal caller, JobId id, long afterSeq, Duration maxWait) throws InterruptedException {
    return control.events(caller, id, afterSeq, maxWait);
  }

  @Override
  public List<NodeInfo> nodes(Principal caller) {
    return control.nodes(caller);
  }

  @Override
  public NodeInfo node(Principal caller, NodeId id) {
    return control.node(caller, id);
  }

  @Override
  public List<DatasetInfo> datasets(Principal caller, DatasetQuery query) {
    return control.datasets(caller, query);
  }

  @Override
  public DatasetInfo dataset(Principal caller, DatasetId id) {
    return control.dataset(caller, id);
  }
}
