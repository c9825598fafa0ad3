package dev.fedgrid.gateway.control;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.DatasetQuery;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.api.node.NodeStatus;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.state.JobEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link GatewayControl} backed by maps, to test the HTTP adapter alone (the real coordinator has
 * its own tests). It ignores the caller: who may see what is the coordinator's business, tested
 * by the coordinator's tests and {@link AuthorizationMatrixTest}. Thread-safe: every method synchronizes on this object, and {@link #events} waits
 * on it for new events.
 */
final class FakeControl implements GatewayControl {
  static final Instant T0 = Instant.parse("2026-11-02T10:15:30Z");

  private final Map<JobId, Job> jobs = new HashMap<>();
  private final Map<JobId, List<JobEvent>> events = new HashMap<>();
  private final Map<JobId, List<RoundSummary>> rounds = new HashMap<>();
  private final Map<JobId, ModelArtifact> models = new HashMap<>();
  private final Map<NodeId, NodeInfo> nodes = new LinkedHashMap<>();
  private final Map<DatasetId, DatasetInfo> datasets = new LinkedHashMap<>();
  /** When set, the next call throws it (to test the 500 path). */
  final AtomicReference<RuntimeException> failNext = new AtomicReference<>();

  // ---- fixtures ----

  synchronized NodeInfo addNode(String name) {
    var node = new NodeInfo(NodeId.random(), name, NodeStatus.ONLINE, 4, 8192, "0.1.0", T0, T0.plusSeconds(60), null);
    nodes.put(node.id(), node);
    return node;
  }

  synchronized DatasetInfo addDataset(NodeId node, String name, String... tags) {
    var metadata = new DatasetMetadata(
        name, DatasetFormat.CSV, List.of(3), List.of(), LabelInfo.categorical("y", List.of(60L, 40L)), 100, 20, List.of(tags), Visibility.PUBLIC);
    var info = new DatasetInfo(DatasetId.random(), node, metadata, T0);
    datasets.put(info.id(), info);
    return info;
  }

  synchronized Job addJob(JobState state) {
    Job job = new Job(JobId.random(), spec("fixture"), state, 0, "", T0, null, null, Map.of(), "owner");
    jobs.put(job.id(), job);
    events.put(job.id(), new ArrayList<>());
    return job;
  }

  synchronized JobEvent appendEvent(JobId id, String type, String message) {
    List<JobEvent> log = events.get(id);
    var event = new JobEvent(id, log.size() + 1, type, message, T0.plusSeconds(log.size()));
    log.add(event);
    notifyAll();
    return event;
  }

  synchronized void setState(JobId id, JobState state, int completedRounds, Map<String, Double> metrics) {
    Job j = jobs.get(id);
    jobs.put(id, new Job(id, j.spec(), state, completedRounds, state == JobState.FAILED ? "boom" : "", j.createdAt(), T0, state.isTerminal() ? T0.plusSeconds(9) : null, metrics, j.owner()));
    notifyAll();
  }

  synchronized void addRound(JobId id, int round, Map<String, Double> eval) {
    NodeId n = nodes.keySet().stream().findFirst().orElseGet(NodeId::random);
    rounds.computeIfAbsent(id, k -> new ArrayList<>()).add(new RoundSummary(
        id, round, T0, T0.plusSeconds(5), List.of(n), 1, 100, List.of(new NodeFailure(n, "evaluate", "timed out")), Map.of("loss", 0.5), eval));
  }

  synchronized void setModel(JobId id, int round, Parameters parameters) {
    Job job = jobs.get(id);
    models.put(id, new ModelArtifact(id, round, job.spec().model(), List.of(3), new FeatureScaling(List.of(1.0, 2.0, 3.0), List.of(0.5, 0.5, 2.0)), parameters));
  }

  static JobSpec spec(String name) {
    return new JobSpec(name, List.of("heart"), ModelSpec.logisticRegression(), null, null, 3, 1, null, null);
  }

  private void maybeFail() {
    RuntimeException e = failNext.getAndSet(null);
    if (e != null) throw e;
  }

  private Job require(JobId id) {
    Job job = jobs.get(id);
    if (job == null) throw new NotFoundException("JOB_NOT_FOUND", "there is no job " + id + "; list jobs with `fedgrid job list`", Map.of("jobId", id.value()));
    return job;
  }

  // ---- GatewayControl ----

  @Override
  public synchronized Job submitJob(Principal caller, JobSpec spec) {
    maybeFail();
    for (String d : spec.datasets()) {
      if (datasets.values().stream().noneMatch(i -> i.name().equals(d) || i.id().value().equals(d))) {
        throw new NotFoundException("DATASET_NOT_FOUND", "no dataset named " + d);
      }
    }
    Job job = new Job(JobId.random(), spec, JobState.QUEUED, 0, "", T0, null, null, Map.of(), caller.name());
    jobs.put(job.id(), job);
    events.put(job.id(), new ArrayList<>());
    appendEvent(job.id(), "queued", "queued");
    return job;
  }

  @Override
  public synchronized Job job(Principal caller, JobId id) {
    maybeFail();
    return require(id);
  }

  @Override
  public synchronized List<Job> jobs(Principal caller, List<JobState> states, Optional<JobId> after, int limit) {
    maybeFail();
    return jobs.values().stream()
        .sorted(Comparator.comparing(Job::id).reversed())
        .filter(j -> states.isEmpty() || states.contains(j.state()))
        .filter(j -> after.isEmpty() || j.id().compareTo(after.get()) < 0)
        .limit(limit)
        .toList();
  }

  @Override
  public synchronized Job cancelJob(Principal caller, JobId id) {
    Job job = require(id);
    if (job.state().isTerminal()) throw new ConflictException("JOB_FINISHED", "job " + id + " already " + job.state().wireName());
    setState(id, JobState.CANCELLED, job.completedRounds(), job.metrics());
    appendEvent(id, "cancelled", "cancelled by request");
    return jobs.get(id);
  }

  @Override
  public synchronized void deleteJob(Principal caller, JobId id) {
    Job job = require(id);
    if (!job.state().isTerminal()) throw new ConflictException("JOB_ACTIVE", "job " + id + " is " + job.state().wireName() + "; cancel it first");
    jobs.remove(id);
    events.remove(id);
    notifyAll();
  }

  @Override
  public synchronized List<RoundSummary> rounds(Principal caller, JobId id) {
    require(id);
    return List.copyOf(rounds.getOrDefault(id, List.of()));
  }

  @Override
  public synchronized List<JobEvent> events(Principal caller, JobId id, long afterSeq, Duration maxWait) throws InterruptedException {
    long deadline = System.nanoTime() + maxWait.toNanos();
    while (true) {
      require(id);
      List<JobEvent> log = events.get(id);
      if (log.size() > afterSeq) return List.copyOf(log.subList((int) afterSeq, log.size()));
      long left = deadline - System.nanoTime();
      if (left <= 0) return List.of();
      wait(Math.max(1, left / 1_000_000));
    }
  }

  @Override
  public synchronized List<NodeInfo> nodes(Principal caller) {
    return List.copyOf(nodes.values());
  }

  @Override
  public synchronized NodeInfo node(Principal caller, NodeId id) {
    NodeInfo node = nodes.get(id);
    if (node == null) throw new NotFoundException("NODE_NOT_FOUND", "there is no node " + id);
    return node;
  }

  @Override
  public synchronized List<DatasetInfo> datasets(Principal caller, DatasetQuery query) {
    return datasets.values().stream().filter(query::matches).toList();
  }

  @Override
  public synchronized DatasetInfo dataset(Principal caller, DatasetId id) {
    DatasetInfo d = datasets.get(id);
    if (d == null) throw new NotFoundException("DATASET_NOT_FOUND", "there is no dataset " + id);
    return d;
  }

  @Override
  public synchronized ModelArtifact inspectModel(Principal caller, JobId id) {
    return model(caller, id);
  }

  @Override
  public synchronized ModelArtifact model(Principal caller, JobId id) {
    require(id);
    ModelArtifact model = models.get(id);
    if (model == null) throw new ConflictException("MODEL_NOT_READY", "job " + id + " has no completed round yet");
    return model;
  }
}
