package dev.fedgrid.node;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.gateway.fleet.FleetBackend;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.fleet.Registration;
import dev.fedgrid.gateway.fleet.ResultSignature;
import dev.fedgrid.gateway.fleet.TaskAssignment;
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
 * A stand-in for the gateway's backend that hands out queued tasks and records what nodes send.
 * Like a gateway restored from its database, it honours an id and token a node presents when it
 * registers. It only exists to drive the node through the real fleet server. Thread-safe.
 */
final class FakeBackend implements FleetBackend {
  record Fit(NodeId node, TaskId task, Parameters parameters, long examples, Map<String, Double> metrics) {}

  record Evaluation(NodeId node, TaskId task, long examples, Map<String, Double> metrics) {}

  record Failure(NodeId node, TaskId task, String reason) {}

  record Signed(NodeId node, TaskId task, ResultSignature signature) {}

  final List<NodeHello> hellos = new CopyOnWriteArrayList<>();
  final Map<NodeId, String> tokens = new ConcurrentHashMap<>();
  final Map<NodeId, String> names = new ConcurrentHashMap<>();
  final Map<String, DatasetId> datasetIds = new ConcurrentHashMap<>();
  final AtomicInteger heartbeats = new AtomicInteger();
  final LinkedBlockingQueue<TaskAssignment> tasks = new LinkedBlockingQueue<>();
  final Map<TaskId, Parameters> parameters = new ConcurrentHashMap<>();
  final List<Fit> fits = new CopyOnWriteArrayList<>();
  final List<Evaluation> evaluations = new CopyOnWriteArrayList<>();
  final List<Failure> failures = new CopyOnWriteArrayList<>();
  final List<Signed> signed = new CopyOnWriteArrayList<>();

  void offer(TaskAssignment task, Parameters global) {
    parameters.put(task.id(), global);
    tasks.add(task);
  }

  DatasetId datasetId(String name) {
    return datasetIds.computeIfAbsent(name, n -> DatasetId.random());
  }

  @Override
  public Registration register(NodeHello hello) {
    hellos.add(hello);
    NodeId id = hello.nodeId().orElseGet(NodeId::random);
    String token = hello.token().orElseGet(() -> "tok-" + NodeId.random().value());
    tokens.put(id, token);
    names.put(id, hello.name());
    var infos = new ArrayList<DatasetInfo>();
    for (DatasetMetadata m : hello.datasets()) infos.add(new DatasetInfo(datasetId(m.name()), id, m, Instant.now()));
    return new Registration(id, token, infos, Duration.ofMillis(200));
  }

  @Override
  public void authenticate(NodeId node, String token) {
    if (!token.equals(tokens.get(node))) throw new UnauthenticatedException("NODE_UNKNOWN", "node " + node + " is unknown; register again");
  }

  @Override
  public Optional<String> nodeName(NodeId node) {
    return Optional.ofNullable(names.get(node));
  }

  @Override
  public void heartbeat(NodeId node) {
    heartbeats.incrementAndGet();
  }

  @Override
  public Optional<TaskAssignment> pollTask(NodeId node, Duration maxWait) throws InterruptedException {
    return Optional.ofNullable(tasks.poll(maxWait.toMillis(), TimeUnit.MILLISECONDS));
  }

  @Override
  public Parameters taskParameters(NodeId node, TaskId task) {
    Parameters p = parameters.get(task);
    if (p == null) throw new NotFoundException("TASK_NOT_FOUND", "no task " + task);
    return p;
  }

  @Override
  public synchronized void completeFit(NodeId node, TaskId task, Parameters parameters, long examples, Map<String, Double> metrics) {
    if (fits.stream().anyMatch(f -> f.task().equals(task))) throw new ConflictException("UPDATE_ALREADY_RECEIVED", "twice");
    fits.add(new Fit(node, task, parameters, examples, metrics));
  }

  @Override
  public void completeEvaluation(NodeId node, TaskId task, long examples, Map<String, Double> metrics) {
    evaluations.add(new Evaluation(node, task, examples, metrics));
  }

  @Override
  public void failTask(NodeId node, TaskId task, String reason) {
    failures.add(new Failure(node, task, reason));
  }

  @Override
  public void resultSigned(NodeId node, TaskId task, ResultSignature signature) {
    signed.add(new Signed(node, task, signature));
  }
}
