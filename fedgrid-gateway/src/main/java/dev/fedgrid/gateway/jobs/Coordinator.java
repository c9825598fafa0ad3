package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.api.node.NodeStatus;
import dev.fedgrid.core.init.Initializers;
import dev.fedgrid.gateway.control.GatewayControl;
import dev.fedgrid.gateway.control.ModelArtifact;
import dev.fedgrid.gateway.fleet.FleetBackend;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.fleet.Registration;
import dev.fedgrid.gateway.fleet.TaskAssignment;
import dev.fedgrid.gateway.state.Checkpoint;
import dev.fedgrid.gateway.state.JobEvent;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.StateStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's brain: it keeps the fleet of nodes, queues jobs until enough nodes holding their
 * datasets are free, and drives each running job round by round.
 *
 * <p>The fleet API and the control API both call into this one object ({@link FleetBackend} and
 * {@link GatewayControl}). Each running job has a {@link JobRunner} on its own virtual thread;
 * tasks reach nodes through per-node mailboxes that nodes drain with long polls, and results come
 * back through {@link Phase}s. Everything acknowledged is in the {@link StateStore} before the
 * call returns, so {@link #start()} after a restart resumes running jobs at their last checkpoint.
 *
 * <p>Thread-safe.
 */
public final class Coordinator implements FleetBackend, GatewayControl, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Coordinator.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String VERSION = "0.1.0";

  final StateStore store;
  final InstantSource clock;
  final CoordinatorOptions options;
  private final ConcurrentHashMap<NodeId, NodeSlot> slots = new ConcurrentHashMap<>();
  final ConcurrentHashMap<TaskId, OpenTask> tasks = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<JobId, JobRunner> runners = new ConcurrentHashMap<>();
  private final Object scheduling = new Object(); // guards starting and cancelling jobs
  private final Semaphore wakeUp = new Semaphore(0);
  private final ReentrantLock eventLock = new ReentrantLock();
  private final Condition eventAppended = eventLock.newCondition();
  private long eventVersion;
  private volatile boolean closed;
  private Thread scheduler;

  public Coordinator(StateStore store, InstantSource clock, CoordinatorOptions options) {
    this.store = store;
    this.clock = clock;
    this.options = options;
  }

  /** Loads the fleet from the store and starts scheduling; running jobs resume when nodes return. */
  public synchronized void start() {
    if (scheduler != null) throw new IllegalStateException("already started");
    for (NodeRecord n : store.nodes()) slots.put(n.id(), new NodeSlot(n.id(), n.lastSeenAt(), false));
    for (Job job : store.jobs(List.of(JobState.RUNNING), Optional.empty(), 10_000)) {
      log.info("job={} will resume after round {} once its nodes are back", job.id(), job.completedRounds());
      event(job.id(), "resuming", "gateway restarted; resuming after round " + job.completedRounds() + " once enough nodes are online");
    }
    scheduler = Thread.ofVirtual().name("fedgrid-scheduler").start(this::scheduleLoop);
  }

  @Override
  public void close() {
    closed = true;
    wakeUp.release();
    if (scheduler != null) scheduler.interrupt();
    for (JobRunner r : runners.values()) r.stopForShutdown();
    for (JobRunner r : runners.values()) r.join(Duration.ofSeconds(5));
  }

  // ------------------------------------------------------------------ fleet API

  @Override
  public Registration register(NodeHello hello) {
    Instant now = clock.instant();
    NodeId id;
    String token;
    Optional<NodeRecord> known = hello.nodeId().flatMap(store::node);
    if (known.isPresent()) {
      if (hello.token().isEmpty() || !MessageDigest.isEqual(hash(hello.token().get()), known.get().tokenHash())) {
        throw new UnauthenticatedException(
            "NODE_TOKEN_INVALID", "node " + known.get().id() + " presented a wrong token; remove its identity file to register as a new node");
      }
      id = known.get().id();
      token = hello.token().get();
      store.putNode(new NodeRecord(id, hello.name(), hello.cores(), hello.memoryMib(), hello.version(), known.get().tokenHash(), known.get().registeredAt(), now));
    } else {
      id = NodeId.random();
      token = newToken();
      store.putNode(new NodeRecord(id, hello.name(), hello.cores(), hello.memoryMib(), hello.version(), hash(token), now, now));
    }
    var datasets = new ArrayList<DatasetInfo>();
    for (var metadata : hello.datasets()) datasets.add(store.putDataset(id, metadata, now));
    slots.compute(id, (k, slot) -> {
      NodeSlot s = slot == null ? new NodeSlot(id, now, true) : slot;
      s.seen(now, Duration.ZERO);
      return s;
    });
    log.info("node={} registered as '{}' with {} dataset(s){}", id, hello.name(), datasets.size(), known.isPresent() ? " (returning)" : "");
    wakeUp.release();
    return new Registration(id, token, datasets, options.heartbeatInterval());
  }

  @Override
  public void authenticate(NodeId node, String token) {
    NodeRecord record = store.node(node).orElseThrow(() -> new UnauthenticatedException("NODE_UNKNOWN", "node " + node + " is not registered; register again"));
    if (token == null || !MessageDigest.isEqual(hash(token), record.tokenHash())) {
      throw new UnauthenticatedException("NODE_TOKEN_INVALID", "wrong token for node " + node);
    }
    seen(node);
  }

  @Override
  public Optional<String> nodeName(NodeId node) {
    return store.node(node).map(NodeRecord::name);
  }

  @Override
  public void heartbeat(NodeId node) {
    seen(node);
  }

  @Override
  public Optional<TaskAssignment> pollTask(NodeId node, Duration maxWait) throws InterruptedException {
    NodeSlot slot = slot(node);
    long deadline = System.nanoTime() + Math.min(maxWait.toNanos(), options.maxPollWait().toNanos());
    while (!closed) {
      long left = deadline - System.nanoTime();
      if (left <= 0) return Optional.empty();
      OpenTask task = slot.mailbox.poll(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
      seen(node);
      if (task != null && task.open()) {
        log.info("job={} round={} node={} task={} pulled {}", task.assignment.job(), task.assignment.round(), node, task.assignment.id(), task.assignment.kind());
        return Optional.of(task.assignment);
      }
    }
    return Optional.empty();
  }

  @Override
  public Parameters taskParameters(NodeId node, TaskId task) {
    OpenTask t = task(node, task);
    Parameters start = t.start();
    if (!t.open() || start == null) {
      throw new ConflictException("TASK_CLOSED", "task " + task + " is closed; its round has moved on");
    }
    return start;
  }

  @Override
  public void completeFit(NodeId node, TaskId task, Parameters parameters, long examples, Map<String, Double> metrics) {
    OpenTask t = task(node, task);
    checkExamples(t, examples);
    t.phase.deliverFit(t, parameters, examples, metrics);
    log.info("job={} round={} node={} task={} update accepted ({} examples)", t.assignment.job(), t.assignment.round(), node, task, examples);
  }

  @Override
  public void completeEvaluation(NodeId node, TaskId task, long examples, Map<String, Double> metrics) {
    OpenTask t = task(node, task);
    checkExamples(t, examples);
    t.phase.deliverEvaluation(t, examples, metrics);
  }

  @Override
  public void failTask(NodeId node, TaskId task, String reason) {
    OpenTask t = task(node, task);
    String shown = reason == null || reason.isBlank() ? "no reason given" : reason.length() > 500 ? reason.substring(0, 500) + "…" : reason;
    log.warn("job={} round={} node={} task={} failed: {}", t.assignment.job(), t.assignment.round(), node, task, shown);
    t.phase.fail(t, "reported: " + shown);
  }

  // ------------------------------------------------------------------ control API

  @Override
  public Job submitJob(JobSpec spec) {
    JobPlan plan = JobPlan.resolve(spec, store);
    spec.model().checkFits(plan.inputShape(), plan.label());
    if (spec.scaling() != null) plan.checkScaling(spec.scaling());
    JobSpec resolved = spec.scaling() != null ? spec : spec.withScaling(plan.defaultScaling(spec.standardize()));
    Parameters initial = Initializers.initialize(spec.model().parameterLayout(plan.inputShape()), spec.training().seed());
    JobPrivacy privacy = JobPrivacy.of(spec);
    Instant now = clock.instant();
    Job job = new Job(JobId.random(), resolved, JobState.QUEUED, 0, withPrivacy(privacy, "waiting for nodes"), now, null, null, Map.of());
    store.createJob(job, initial);
    event(job.id(), "queued", "job '" + spec.name() + "' queued: " + spec.rounds() + " rounds of " + spec.strategy().name()
        + " on " + plan.byNode().size() + " node(s) holding " + String.join(", ", spec.datasets()) + "; " + initial.values().length + " parameters"
        + (privacy == null ? "" : "; " + privacy.plan()));
    log.info("job={} submitted: {} rounds, strategy {}, datasets {}", job.id(), spec.rounds(), spec.strategy().name(), spec.datasets());
    wakeUp.release();
    return job;
  }

  @Override
  public Job job(JobId id) {
    return store.job(id).orElseThrow(() -> jobNotFound(id));
  }

  @Override
  public List<Job> jobs(List<JobState> states, Optional<JobId> after, int limit) {
    return store.jobs(states, after, limit);
  }

  @Override
  public Job cancelJob(JobId id) {
    JobRunner runner;
    synchronized (scheduling) {
      Job job = job(id);
      if (job.state().isTerminal()) {
        throw new ConflictException("JOB_FINISHED", "job " + id + " already " + job.state().wireName() + "; only queued or running jobs can be cancelled");
      }
      runner = runners.get(id);
      if (runner == null) {
        Job cancelled = new Job(id, job.spec(), JobState.CANCELLED, job.completedRounds(), "cancelled by request", job.createdAt(), job.startedAt(), clock.instant(), job.metrics());
        store.updateJob(cancelled);
        event(id, "cancelled", "cancelled by request after " + job.completedRounds() + " completed round(s)");
        return cancelled;
      }
      runner.cancel();
    }
    runner.join(Duration.ofSeconds(10));
    return job(id);
  }

  @Override
  public void deleteJob(JobId id) {
    synchronized (scheduling) {
      Job job = job(id);
      if (!job.state().isTerminal()) {
        throw new ConflictException("JOB_ACTIVE", "job " + id + " is " + job.state().wireName() + "; cancel it before deleting it");
      }
      store.deleteJob(id);
      forgetTasks(id, Integer.MAX_VALUE);
    }
  }

  @Override
  public List<RoundSummary> rounds(JobId id) {
    job(id);
    return store.rounds(id);
  }

  @Override
  public List<JobEvent> events(JobId id, long afterSeq, Duration maxWait) throws InterruptedException {
    job(id);
    long deadline = System.nanoTime() + maxWait.toNanos();
    while (true) {
      long version;
      eventLock.lock();
      try {
        version = eventVersion;
      } finally {
        eventLock.unlock();
      }
      List<JobEvent> found = store.events(id, afterSeq);
      long left = deadline - System.nanoTime();
      if (!found.isEmpty() || left <= 0 || closed) return found;
      eventLock.lock();
      try {
        if (version == eventVersion) eventAppended.awaitNanos(left);
      } finally {
        eventLock.unlock();
      }
    }
  }

  @Override
  public List<NodeInfo> nodes() {
    return store.nodes().stream().map(this::info).toList();
  }

  @Override
  public NodeInfo node(NodeId id) {
    return info(store.node(id).orElseThrow(() -> new NotFoundException("NODE_NOT_FOUND", "no node has id " + id + "; see `fedgrid node list`")));
  }

  @Override
  public List<DatasetInfo> datasets(Optional<String> name, Optional<String> tag) {
    return store.datasets(name).stream().filter(d -> tag.isEmpty() || d.metadata().tags().contains(tag.get())).toList();
  }

  @Override
  public DatasetInfo dataset(DatasetId id) {
    return store.dataset(id).orElseThrow(() -> new NotFoundException("DATASET_NOT_FOUND", "no dataset has id " + id + "; see `fedgrid dataset list`"));
  }

  @Override
  public ModelArtifact model(JobId id) {
    Job job = job(id);
    Checkpoint checkpoint = store.latestCheckpoint(id).filter(c -> c.round() > 0).orElseThrow(
        () -> new ConflictException("MODEL_NOT_READY", "job " + id + " has no completed round yet; wait for round 1 (`fedgrid job watch " + id + "`)"));
    JobPlan plan = JobPlan.resolve(job.spec(), store);
    return new ModelArtifact(id, checkpoint.round(), job.spec().model(), plan.inputShape(), job.spec().scaling(), checkpoint.parameters());
  }

  // ------------------------------------------------------------------ internals shared with JobRunner

  /** Appends to a job's event log and wakes event waiters. */
  void event(JobId job, String type, String message) {
    store.appendEvent(job, type, message, clock.instant());
    eventLock.lock();
    try {
      eventVersion++;
      eventAppended.signalAll();
    } finally {
      eventLock.unlock();
    }
  }

  boolean online(NodeId node) {
    NodeSlot slot = slots.get(node);
    return slot != null && slot.online(clock.instant(), options.nodeTimeout());
  }

  Instant lastSeen(NodeId node) {
    NodeSlot slot = slots.get(node);
    return slot == null ? Instant.EPOCH : slot.lastSeen();
  }

  /** Queues a task for its node and makes it known to the fleet API. */
  void dispatch(OpenTask task) {
    tasks.put(task.assignment.id(), task);
    slot(task.node).mailbox.add(task);
  }

  /** Reserves every free, online node holding one of the plan's datasets for {@code job}. */
  List<NodeId> reserveEligible(JobId job, JobPlan plan) {
    var reserved = new ArrayList<NodeId>();
    for (NodeId node : plan.byNode().keySet()) {
      NodeSlot slot = slots.get(node);
      if (slot != null && slot.online(clock.instant(), options.nodeTimeout()) && slot.reserve(job)) reserved.add(node);
    }
    return reserved;
  }

  void release(JobId job, NodeId node) {
    NodeSlot slot = slots.get(node);
    if (slot != null) slot.release(job);
  }

  /**
   * Forgets a job's closed tasks of rounds before {@code keepFromRound}. The latest round's tasks
   * are kept so that a node retrying a push whose acknowledgement it lost is told its result
   * already arrived; they go when the job is deleted.
   */
  void forgetTasks(JobId job, int keepFromRound) {
    tasks.values().removeIf(t -> t.assignment.job().equals(job) && !t.open() && t.assignment.round() < keepFromRound);
  }

  void runnerFinished(JobId job) {
    runners.remove(job);
    wakeUp.release();
  }

  // ------------------------------------------------------------------ scheduling

  private void scheduleLoop() {
    while (!closed) {
      try {
        wakeUp.tryAcquire(options.schedulerTick().toMillis(), TimeUnit.MILLISECONDS);
        wakeUp.drainPermits();
        scheduleOnce();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.error("scheduler pass failed; retrying", e);
      }
    }
  }

  /** Starts every waiting job that now has enough free nodes, oldest first. */
  void scheduleOnce() {
    List<Job> waiting = new ArrayList<>(store.jobs(List.of(JobState.QUEUED, JobState.RUNNING), Optional.empty(), 10_000));
    waiting.sort((a, b) -> a.id().compareTo(b.id()));
    for (Job job : waiting) {
      if (closed) return;
      synchronized (scheduling) {
        if (runners.containsKey(job.id())) continue;
        Job current = store.job(job.id()).orElse(null);
        if (current == null || current.state().isTerminal()) continue;
        JobPlan plan;
        try {
          plan = JobPlan.resolve(current.spec(), store);
        } catch (RuntimeException e) {
          wait(current, "cannot resolve datasets: " + e.getMessage());
          continue;
        }
        int needed = current.spec().minNodes();
        List<NodeId> free = plan.byNode().keySet().stream()
            .filter(n -> online(n) && (slots.get(n).reservedBy() == null || slots.get(n).reservedBy().equals(job.id())))
            .toList();
        if (free.size() < needed) {
          long online = plan.byNode().keySet().stream().filter(this::online).count();
          wait(current, "waiting for " + needed + " free node(s) holding " + String.join(", ", current.spec().datasets()) + ": "
              + plan.byNode().size() + " registered, " + online + " online, " + free.size() + " free");
          continue;
        }
        List<NodeId> reserved = reserveEligible(job.id(), plan);
        if (reserved.size() < needed) {
          reserved.forEach(n -> release(job.id(), n));
          continue;
        }
        JobRunner runner = new JobRunner(this, current, reserved);
        runners.put(job.id(), runner);
        runner.start();
      }
    }
  }

  private void wait(Job job, String why) {
    String message = job.state() == JobState.QUEUED ? withPrivacy(JobPrivacy.of(job.spec()), why) : why;
    if (message.equals(job.message())) return;
    store.updateJob(new Job(job.id(), job.spec(), job.state(), job.completedRounds(), message, job.createdAt(), job.startedAt(), job.finishedAt(), job.metrics()));
  }

  /** A queued job's message, with the epsilon it plans to spend when it uses differential privacy. */
  private static String withPrivacy(JobPrivacy privacy, String message) {
    return privacy == null ? message : message + "; " + privacy.plan();
  }

  // ------------------------------------------------------------------ helpers

  private OpenTask task(NodeId node, TaskId task) {
    OpenTask t = tasks.get(task);
    if (t == null || !t.node.equals(node)) {
      throw new NotFoundException("TASK_NOT_FOUND", "task " + task + " is not assigned to node " + node + " (it may belong to a round that ended before a gateway restart)");
    }
    return t;
  }

  private static void checkExamples(OpenTask t, long examples) {
    if (examples < 1 || examples > t.maxExamples) {
      throw new InvalidRequestException(
          "INVALID_EXAMPLES",
          "task " + t.assignment.id() + " reports " + examples + " examples but its dataset " + t.assignment.dataset()
              + " registered " + t.maxExamples + " rows for this phase");
    }
  }

  private NodeSlot slot(NodeId node) {
    return slots.computeIfAbsent(node, id -> new NodeSlot(id, clock.instant(), true));
  }

  private void seen(NodeId node) {
    Instant now = clock.instant();
    if (slot(node).seen(now, options.heartbeatInterval())) store.touchNode(node, now);
  }

  private NodeInfo info(NodeRecord n) {
    NodeSlot slot = slots.get(n.id());
    Instant lastSeen = slot == null ? n.lastSeenAt() : slot.lastSeen();
    NodeStatus status = slot != null && slot.online(clock.instant(), options.nodeTimeout()) ? NodeStatus.ONLINE : NodeStatus.OFFLINE;
    return new NodeInfo(n.id(), n.name(), status, n.cores(), n.memoryMib(), n.version(), n.registeredAt(), lastSeen, slot == null ? null : slot.reservedBy());
  }

  static NotFoundException jobNotFound(JobId id) {
    return new NotFoundException("JOB_NOT_FOUND", "no job has id " + id + "; see `fedgrid job list`");
  }

  private static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  static String version() {
    return VERSION;
  }
}
