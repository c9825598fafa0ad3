package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.model.Parameters;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test double of the gateway's backend that records every call the fleet service makes. It
 * only exists to test the transport adapter; the real backend has its own tests. Thread-safe.
 */
final class RecordingBackend implements FleetBackend {
  record Fit(NodeId node, TaskId task, Parameters parameters, long examples, Map<String, Double> metrics) {}

  record Evaluation(NodeId node, TaskId task, long examples, Map<String, Double> metrics) {}

  record Failure(NodeId node, TaskId task, String reason) {}

  static final String TOKEN = "tok_correct-horse-battery-staple";

  final List<NodeHello> hellos = new CopyOnWriteArrayList<>();
  final Map<NodeId, String> tokens = new ConcurrentHashMap<>();
  final Map<NodeId, String> names = new ConcurrentHashMap<>();
  final Map<NodeId, Map<String, DatasetId>> datasetIds = new ConcurrentHashMap<>();
  final AtomicInteger heartbeats = new AtomicInteger();
  final AtomicInteger polls = new AtomicInteger();
  final LinkedBlockingQueue<TaskAssignment> tasks = new LinkedBlockingQueue<>();
  final Map<TaskId, Parameters> parameters = new ConcurrentHashMap<>();
  final List<Fit> fits = new CopyOnWriteArrayList<>();
  final List<Evaluation> evaluations = new CopyOnWriteArrayList<>();
  final List<Failure> failures = new CopyOnWriteArrayList<>();
  final List<TaskId> delivered = new CopyOnWriteArrayList<>();
  /** When set, {@link #heartbeat} throws it (to test the error mapping). */
  volatile RuntimeException heartbeatFailure;

  /** Every call that reached the backend after authentication, except polls and heartbeats. */
  int resultCalls() {
    return fits.size() + evaluations.size() + failures.size();
  }

  @Override
  public Registration register(NodeHello hello) {
    hellos.add(hello);
    NodeId id = hello.nodeId().filter(n -> hello.token().orElse("").equals(tokens.get(n))).orElseGet(NodeId::random);
    tokens.put(id, TOKEN);
    names.put(id, hello.name());
    Map<String, DatasetId> ids = datasetIds.computeIfAbsent(id, n -> new ConcurrentHashMap<>());
    var infos = new ArrayList<DatasetInfo>();
    for (DatasetMetadata m : hello.datasets()) {
      infos.add(new DatasetInfo(ids.computeIfAbsent(m.name(), n -> DatasetId.random()), id, m, Instant.now()));
    }
    return new Registration(id, TOKEN, infos, Duration.ofMillis(500));
  }

  @Override
  public void authenticate(NodeId node, String token) {
    if (!token.equals(tokens.get(node))) {
      throw new UnauthenticatedException("NODE_UNKNOWN", "node " + node + " is unknown or its token is wrong; register again");
    }
  }

  @Override
  public Optional<String> nodeName(NodeId node) {
    return Optional.ofNullable(names.get(node));
  }

  @Override
  public void heartbeat(NodeId node) {
    RuntimeException failure = heartbeatFailure;
    if (failure != null) throw failure;
    heartbeats.incrementAndGet();
  }

  @Override
  public Optional<TaskAssignment> pollTask(NodeId node, Duration maxWait) throws InterruptedException {
    polls.incrementAndGet();
    return Optional.ofNullable(tasks.poll(maxWait.toMillis(), TimeUnit.MILLISECONDS));
  }

  @Override
  public Parameters taskParameters(NodeId node, TaskId task) {
    Parameters p = parameters.get(task);
    if (p == null) throw new NotFoundException("TASK_NOT_FOUND", "no task " + task + " for node " + node);
    return p;
  }

  @Override
  public void completeFit(NodeId node, TaskId task, Parameters parameters, long examples, Map<String, Double> metrics) {
    deliver(task);
    fits.add(new Fit(node, task, parameters, examples, metrics));
  }

  /** What the fleet service metered per task: the usage that came with a result, and the parameter bytes it streamed. */
  final Map<TaskId, dev.fedgrid.api.job.ResourceUsage> usages = new java.util.concurrent.ConcurrentHashMap<>();
  final Map<TaskId, Long> sent = new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public void completeFit(NodeId node, TaskId task, Parameters parameters, long examples, Map<String, Double> metrics, dev.fedgrid.api.job.ResourceUsage usage) {
    completeFit(node, task, parameters, examples, metrics);
    usages.put(task, usage);
  }

  @Override
  public void completeEvaluation(NodeId node, TaskId task, long examples, Map<String, Double> metrics, dev.fedgrid.api.job.ResourceUsage usage) {
    completeEvaluation(node, task, examples, metrics);
    usages.put(task, usage);
  }

  @Override
  public void parametersSent(NodeId node, TaskId task, long bytes) {
    sent.merge(task, bytes, Long::sum);
  }

  @Override
  public void completeEvaluation(NodeId node, TaskId task, long examples, Map<String, Double> metrics) {
    deliver(task);
    evaluations.add(new Evaluation(node, task, examples, metrics));
  }

  @Override
  public void failTask(NodeId node, TaskId task, String reason) {
    deliver(task);
    failures.add(new Failure(node, task, reason));
  }

  private synchronized void deliver(TaskId task) {
    if (delivered.contains(task)) {
      throw new ConflictException("UPDATE_ALREADY_RECEIVED", "task " + task + " already delivered its result");
    }
    delivered.add(task);
  }
}
