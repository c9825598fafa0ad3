package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.dataset.DatasetQuery;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.ResourceUsage;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.api.node.NodeStatus;
import dev.fedgrid.core.dp.PoissonSampling;
import dev.fedgrid.core.init.Initializers;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.control.GatewayControl;
import dev.fedgrid.gateway.control.ModelArtifact;
import dev.fedgrid.gateway.fleet.FleetBackend;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.fleet.NodeEnrolment;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.fleet.Registration;
import dev.fedgrid.gateway.fleet.ResultSignature;
import dev.fedgrid.gateway.fleet.TaskAssignment;
import dev.fedgrid.gateway.state.Checkpoint;
import dev.fedgrid.gateway.state.JobEvent;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.gateway.state.SqlStateStore;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's brain: it keeps the fleet of nodes, queues jobs until enough nodes holding their
 * datasets are free, and drives each running job round by round.
 *
 * <p>The fleet API and the control API both call into this one object ({@link FleetBackend} and
 * {@link GatewayControl}). Each running job has a {@link JobRunner} on its own virtual thread;
 * tasks reach nodes through per-node mailboxes that nodes drain with long polls, and results come
 * back through the {@link dev.fedgrid.core.round.RoundDriver}'s tasks. Everything acknowledged is in the {@link StateStore} before the
 * call returns, so {@link #start()} after a restart resumes running jobs at their last checkpoint.
 *
 * <p>Every control call carries the authenticated {@link Principal}; the coordinator decides what
 * depends on the object (see {@link GatewayControl} for who sees and changes a job) and writes the
 * job's audit events ({@code job.submitted}, {@code job.refused}, {@code job.cancelled}, {@code
 * job.deleted}, {@code model.downloaded}), and {@code task.result.signed} for each signed result a
 * node delivered over mutual TLS, to the {@link AuditLog}. Submission runs every {@link
 * JobAdmission}, stores the job and appends {@code job.submitted} in one database transaction.
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
  private final SqlDatabase db;
  private final AuditLog audit;
  private final List<JobAdmission> admissions;
  private final NodeEnrolment enrolment;
  private final JobMarket market;
  private final ConcurrentHashMap<NodeId, NodeSlot> slots = new ConcurrentHashMap<>();
  final ConcurrentHashMap<TaskId, OpenTask> tasks = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<JobId, JobRunner> runners = new ConcurrentHashMap<>();
  private final Object scheduling = new Object(); // guards starting and cancelling jobs
  private final Semaphore wakeUp = new Semaphore(0);
  private final ReentrantLock eventLock = new ReentrantLock();
  private final Condition eventAppended = eventLock.newCondition();
  private long eventVersion;
  private volatile boolean closed;
  private volatile RandomGenerator sampling = RANDOM; // only tests replace it
  private Thread scheduler;

  /**
   * A coordinator over {@code store}'s database.
   *
   * @param store the jobs, nodes and datasets; its {@link SqlStateStore#database()} is where the
   *     admissions and {@code audit} write too, so that a submission is one transaction
   * @param audit the ledger for job events
   * @param admissions run, in order, on every submission (privacy budgets, dataset grants)
   * @param market which nodes may work for a market job, and where its rounds are billed
   */
  public Coordinator(
      SqlStateStore store, AuditLog audit, InstantSource clock, CoordinatorOptions options, List<JobAdmission> admissions, JobMarket market) {
    this.store = store;
    this.db = store.database();
    this.audit = audit;
    this.clock = clock;
    this.options = options;
    this.admissions = List.copyOf(admissions);
    this.market = java.util.Objects.requireNonNull(market, "market");
    this.enrolment = new JoinTokens(db, audit, clock); // a new node always needs a join token
  }

  /** A coordinator without a market: no job is gated or billed. */
  public Coordinator(SqlStateStore store, AuditLog audit, InstantSource clock, CoordinatorOptions options, List<JobAdmission> admissions) {
    this(store, audit, clock, options, admissions, JobMarket.NONE);
  }

  /** A coordinator without admissions or market. */
  public Coordinator(SqlStateStore store, AuditLog audit, InstantSource clock, CoordinatorOptions options) {
    this(store, audit, clock, options, List.of());
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
    var datasets = new ArrayList<DatasetInfo>();
    if (known.isPresent()) {
      if (hello.token().isEmpty() || !MessageDigest.isEqual(hash(hello.token().get()), known.get().tokenHash())) {
        throw new UnauthenticatedException(
            "NODE_TOKEN_INVALID",
            "node " + known.get().id() + " presented a wrong token; to enrol it as a new node, remove its identity file and start it with a new join token");
      }
      id = known.get().id();
      token = hello.token().get();
      store.putNode(new NodeRecord(id, hello.name(), hello.cores(), hello.memoryMib(), hello.version(), known.get().tokenHash(), known.get().registeredAt(), now));
      for (var metadata : hello.datasets()) datasets.add(store.putDataset(id, metadata, now));
    } else {
      NodeId fresh = NodeId.random();
      id = fresh;
      token = newToken();
      byte[] tokenHash = hash(token);
      // the node, its datasets and the join token it spends commit together, or not at all
      enrolment.enrol(hello, fresh, () -> {
        store.putNode(new NodeRecord(fresh, hello.name(), hello.cores(), hello.memoryMib(), hello.version(), tokenHash, now, now));
        for (var metadata : hello.datasets()) datasets.add(store.putDataset(fresh, metadata, now));
        return null;
      });
    }
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
    completeFit(node, task, parameters, examples, metrics, ResourceUsage.NONE);
  }

  @Override
  public void completeEvaluation(NodeId node, TaskId task, long examples, Map<String, Double> metrics) {
    completeEvaluation(node, task, examples, metrics, ResourceUsage.NONE);
  }

  @Override
  public void completeFit(NodeId node, TaskId task, Parameters parameters, long examples, Map<String, Double> metrics, ResourceUsage usage) {
    OpenTask t = task(node, task);
    checkExamples(t, examples);
    deliver(t, usage, () -> t.task.deliverFit(parameters, examples, metrics));
    log.info("job={} round={} node={} task={} update accepted ({} examples, {} µs CPU)", t.assignment.job(), t.assignment.round(), node, task, examples,
        usage.cpuMicros());
  }

  @Override
  public void completeEvaluation(NodeId node, TaskId task, long examples, Map<String, Double> metrics, ResourceUsage usage) {
    OpenTask t = task(node, task);
    checkExamples(t, examples);
    deliver(t, usage, () -> t.task.deliverEvaluation(examples, metrics));
  }

  @Override
  public void parametersSent(NodeId node, TaskId task, long bytes) {
    OpenTask t = tasks.get(task);
    if (t != null && t.node.equals(node)) t.meter(new ResourceUsage(0, bytes));
  }

  /**
   * Meters a result's usage, then delivers it; the usage is taken back when the result is refused.
   * Metered first so that the round, which may close on this very result, sees it.
   *
   * @throws InvalidRequestException {@code INVALID_CPU_TIME} when the node claims more CPU time
   *     than its registered cores could spend since the task was dispatched (with a second of slack)
   */
  private void deliver(OpenTask t, ResourceUsage usage, Runnable delivery) {
    int cores = store.node(t.node).map(NodeRecord::cores).orElse(1);
    Duration since = Duration.between(t.dispatchedAt, clock.instant()).plusSeconds(1);
    long most = since.toNanos() / 1000 * Math.max(1, cores);
    if (usage.cpuMicros() > most) {
      throw new InvalidRequestException(
          "INVALID_CPU_TIME",
          "task " + t.assignment.id() + " reports " + usage.cpuMicros() + " µs of CPU time but node " + t.node + " registered " + cores
              + " core(s) and got the task " + since.toMillis() + " ms ago (slack included)");
    }
    t.meter(usage);
    try {
      delivery.run();
    } catch (RuntimeException e) {
      t.unmeter(usage);
      throw e;
    }
  }

  /**
   * What each of {@code nodes} used in {@code round} of {@code job}, over its fit and evaluate tasks
   * still known (the round's tasks are kept until the next round starts); nodes that used nothing
   * measurable are left out.
   */
  Map<NodeId, ResourceUsage> usage(JobId job, int round, java.util.Set<NodeId> nodes) {
    var out = new java.util.TreeMap<NodeId, ResourceUsage>();
    for (OpenTask t : tasks.values()) {
      if (t.assignment.job().equals(job) && t.assignment.round() == round && nodes.contains(t.node) && !t.usage().equals(ResourceUsage.NONE)) {
        out.merge(t.node, t.usage(), ResourceUsage::plus);
      }
    }
    return out;
  }

  @Override
  public void failTask(NodeId node, TaskId task, String reason) {
    OpenTask t = task(node, task);
    String shown = reason == null || reason.isBlank() ? "no reason given" : reason.length() > 500 ? reason.substring(0, 500) + "…" : reason;
    log.warn("job={} round={} node={} task={} failed: {}", t.assignment.job(), t.assignment.round(), node, task, shown);
    t.task.fail("reported: " + shown);
  }

  /**
   * Appends {@code task.result.signed} (actor {@code node:<id>}, target the task) with the
   * certificate's serial and subject, the signed digest and the signature, so the audit trail
   * shows which certificate vouched for each result and anyone can re-check it.
   */
  @Override
  public void resultSigned(NodeId node, TaskId task, ResultSignature signature) {
    audit.append("node:" + node.value(), "task.result.signed", task.value(), signature.auditDetails());
  }

  @Override
  public dev.fedgrid.core.secagg.SecAggAssignment secAggAssignment(NodeId node, TaskId task) {
    OpenTask t = task(node, task);
    seen(node);
    if (t.task.secAgg() == null) {
      throw new InvalidRequestException("SECAGG_NOT_ENABLED", t.task + " does not run under secure aggregation; push its result with PushUpdate");
    }
    return t.task.secAgg();
  }

  @Override
  public void secAggSubmit(NodeId node, TaskId task, dev.fedgrid.core.secagg.SecAggMessage.FromClient message, long examples) {
    OpenTask t = task(node, task);
    seen(node);
    if (message instanceof dev.fedgrid.core.secagg.SecAggMessage.AdvertiseKeys) checkExamples(t, examples);
    t.task.secAggSubmit(message, examples);
  }

  @Override
  public dev.fedgrid.core.secagg.SecAggMessage.FromServer secAggAwait(NodeId node, TaskId task, Duration maxWait) throws InterruptedException {
    OpenTask t = task(node, task);
    seen(node);
    return t.task.secAggAwait(maxWait);
  }

  // ------------------------------------------------------------------ control API

  @Override
  public Job submitJob(Principal caller, JobSpec spec) {
    JobPlan plan = JobPlan.resolve(spec, store);
    spec.model().checkFits(plan.inputShape(), plan.label());
    if (spec.scaling() != null) plan.checkScaling(spec.scaling());
    JobSecAgg.check(spec, plan);
    // The job is fixed to the datasets matched now: the admissions check grants and reserve budgets
    // for exactly these, so a dataset registered later under the same name cannot join unchecked.
    JobSpec resolved = (spec.scaling() != null ? spec : spec.withScaling(plan.defaultScaling(spec.standardize())))
        .withDatasets(plan.byNode().values().stream().map(d -> d.id().value()).toList());
    Parameters initial = Initializers.initialize(spec.model().parameterLayout(plan.inputShape()), spec.training().seed());
    JobPrivacy privacy = JobPrivacy.of(spec);
    Instant now = clock.instant();
    Job job = new Job(JobId.random(), resolved, JobState.QUEUED, 0, withPrivacy(privacy, "waiting for nodes"), now, null, null, Map.of(), caller.name());
    var details = new LinkedHashMap<String, String>();
    details.put("name", spec.name());
    details.put("datasets", String.join(",", spec.datasets()));
    details.put("datasetIds", String.join(",", resolved.datasets()));
    details.put("rounds", Integer.toString(spec.rounds()));
    if (privacy != null) details.put("privacy", privacy.plan());
    try {
      db.transact("submit job " + job.id(), () -> {
        for (JobAdmission admission : admissions) admission.admit(caller, job);
        store.createJob(job, initial);
        audit.append(caller.name(), "job.submitted", job.id().value(), details);
        return null;
      });
    } catch (RuntimeException e) {
      var refused = new LinkedHashMap<>(details);
      refused.put("reason", e instanceof FedGridException f ? f.code() : "INTERNAL");
      if (e instanceof FedGridException f) refused.put("message", f.getMessage());
      audit.append(caller.name(), "job.refused", job.id().value(), refused);
      log.info("job={} refused for {}: {}", job.id(), caller.name(), e.getMessage());
      throw e;
    }
    event(job.id(), "queued", "job '" + spec.name() + "' queued: " + spec.rounds() + " rounds of " + spec.strategy().name()
        + " on " + plan.byNode().size() + " node(s) holding " + String.join(", ", spec.datasets()) + "; " + initial.values().length + " parameters"
        + (privacy == null ? "" : "; " + privacy.plan()));
    log.info("job={} submitted by {}: {} rounds, strategy {}, datasets {}", job.id(), caller.name(), spec.rounds(), spec.strategy().name(), spec.datasets());
    wakeUp.release();
    return job;
  }

  @Override
  public Job job(Principal caller, JobId id) {
    Job job = job(id);
    if (!sees(caller, job)) throw jobNotFound(id);
    return job;
  }

  /** A job whoever asks; for the coordinator's own use. */
  Job job(JobId id) {
    return store.job(id).orElseThrow(() -> jobNotFound(id));
  }

  @Override
  public List<Job> jobs(Principal caller, List<JobState> states, Optional<JobId> after, int limit) {
    Optional<String> owner = caller.has(Permission.TRIAGE_REQUESTS) ? Optional.empty() : Optional.of(caller.name());
    return store.jobs(states, owner, after, limit);
  }

  @Override
  public Job cancelJob(Principal caller, JobId id) {
    JobRunner runner;
    synchronized (scheduling) {
      Job job = job(caller, id);
      checkMayChange(caller, job, "cancel");
      if (job.state().isTerminal()) {
        throw new ConflictException("JOB_FINISHED", "job " + id + " already " + job.state().wireName() + "; only queued or running jobs can be cancelled");
      }
      runner = runners.get(id);
      if (runner == null) return storeCancelled(job, caller.name());
      runner.cancel(caller.name());
    }
    runner.join(Duration.ofSeconds(10));
    return job(id);
  }

  /** Stores a job as cancelled by {@code actor} together with its {@code job.cancelled} audit event. */
  Job storeCancelled(Job job, String actor) {
    Job cancelled = new Job(job.id(), job.spec(), JobState.CANCELLED, job.completedRounds(), "cancelled by " + actor + " after round " + job.completedRounds(),
        job.createdAt(), job.startedAt(), clock.instant(), job.metrics(), job.owner());
    db.transact("cancel job " + job.id(), () -> {
      store.updateJob(cancelled);
      audit.append(actor, "job.cancelled", job.id().value(), Map.of("completedRounds", Integer.toString(job.completedRounds()), "owner", job.owner()));
      return null;
    });
    event(job.id(), "cancelled", "cancelled by " + actor + " after " + job.completedRounds() + " completed round(s)");
    return cancelled;
  }

  @Override
  public void deleteJob(Principal caller, JobId id) {
    synchronized (scheduling) {
      Job job = job(caller, id);
      checkMayChange(caller, job, "delete");
      if (!job.state().isTerminal()) {
        throw new ConflictException("JOB_ACTIVE", "job " + id + " is " + job.state().wireName() + "; cancel it before deleting it");
      }
      db.transact("delete job " + id, () -> {
        store.deleteJob(id);
        audit.append(caller.name(), "job.deleted", id.value(), Map.of("state", job.state().wireName(), "owner", job.owner()));
        return null;
      });
      forgetTasks(id, Integer.MAX_VALUE);
    }
  }

  @Override
  public List<RoundSummary> rounds(Principal caller, JobId id) {
    job(caller, id);
    return store.rounds(id);
  }

  @Override
  public List<JobEvent> events(Principal caller, JobId id, long afterSeq, Duration maxWait) throws InterruptedException {
    job(caller, id);
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
  public List<NodeInfo> nodes(Principal caller) {
    return store.nodes().stream().map(this::info).toList();
  }

  @Override
  public NodeInfo node(Principal caller, NodeId id) {
    return info(store.node(id).orElseThrow(() -> new NotFoundException("NODE_NOT_FOUND", "no node has id " + id + "; see `fedgrid node list`")));
  }

  @Override
  public List<DatasetInfo> datasets(Principal caller, DatasetQuery query) {
    return store.datasets(Optional.empty()).stream().filter(query::matches).toList();
  }

  @Override
  public DatasetInfo dataset(Principal caller, DatasetId id) {
    return store.dataset(id).orElseThrow(() -> new NotFoundException("DATASET_NOT_FOUND", "no dataset has id " + id + "; see `fedgrid dataset list`"));
  }

  @Override
  public ModelArtifact model(Principal caller, JobId id) {
    Job job = job(caller, id);
    if (!job.owner().equals(caller.name())) {
      throw new PermissionDeniedException(
          "NOT_JOB_OWNER",
          "only " + (job.owner().isEmpty() ? "the submitter" : job.owner()) + ", who submitted job " + id + ", may download its model",
          Map.of("jobId", id.value()));
    }
    ModelArtifact model = inspectModel(job);
    audit.append(caller.name(), "model.downloaded", id.value(), Map.of("round", Integer.toString(model.round())));
    return model;
  }

  @Override
  public ModelArtifact inspectModel(Principal caller, JobId id) {
    return inspectModel(job(caller, id));
  }

  private ModelArtifact inspectModel(Job job) {
    JobId id = job.id();
    Checkpoint checkpoint = store.latestCheckpoint(id).filter(c -> c.round() > 0).orElseThrow(
        () -> new ConflictException("MODEL_NOT_READY", "job " + id + " has no completed round yet; wait for round 1 (`fedgrid job watch " + id + "`)"));
    JobPlan plan = JobPlan.resolve(job.spec(), store);
    return new ModelArtifact(id, checkpoint.round(), job.spec().model(), plan.inputShape(), job.spec().scaling(), checkpoint.parameters());
  }

  /** Whether the caller may see the job: its submitter, or someone who triages requests. */
  private static boolean sees(Principal caller, Job job) {
    return job.owner().equals(caller.name()) || caller.has(Permission.TRIAGE_REQUESTS);
  }

  /** Its submitter or an operator may cancel or delete a job the caller sees. */
  private static void checkMayChange(Principal caller, Job job, String action) {
    if (job.owner().equals(caller.name()) || caller.has(Permission.MANAGE_INFRASTRUCTURE)) return;
    throw new PermissionDeniedException(
        "NOT_JOB_OWNER",
        "user " + caller.name() + " may not " + action + " job " + job.id() + " of " + (job.owner().isEmpty() ? "another user" : job.owner())
            + ": only its submitter or a user with can_manage_infrastructure may",
        Map.of("jobId", job.id().value(), "permission", Permission.MANAGE_INFRASTRUCTURE.wireName()));
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
    task.dispatchedAt = clock.instant();
    tasks.put(task.assignment.id(), task);
    slot(task.node).mailbox.add(task);
  }

  /**
   * Reserves every free, online node holding one of the plan's datasets for {@code job}; for a
   * market job, only nodes with an approved agreement for it.
   */
  List<NodeId> reserveEligible(JobId job, JobPlan plan) {
    var reserved = new ArrayList<NodeId>();
    for (NodeId node : eligible(job, plan)) {
      NodeSlot slot = slots.get(node);
      if (slot != null && slot.online(clock.instant(), options.nodeTimeout()) && slot.reserve(job)) reserved.add(node);
    }
    return reserved;
  }

  /**
   * The nodes holding the plan's datasets that may work for {@code job}: all of them, or for a
   * market job those with an approved agreement for it.
   */
  Set<NodeId> eligible(JobId job, JobPlan plan) {
    return eligible(plan, market.approvedNodes(job));
  }

  /** {@link #eligible(JobId, JobPlan)} with the market's answer already read ({@code approved}). */
  private static Set<NodeId> eligible(JobPlan plan, Optional<Set<NodeId>> approved) {
    Set<NodeId> holding = plan.byNode().keySet();
    if (approved.isEmpty()) return holding;
    var both = new java.util.LinkedHashSet<>(holding);
    both.retainAll(approved.get());
    return both;
  }

  /** Whether {@code job} is a market job (declared one or with a demand), so that only nodes with an approved agreement work for it. */
  boolean marketJob(JobId job) {
    return market.approvedNodes(job).isPresent();
  }

  /**
   * Records a completed round and bills it in one transaction (the round, its checkpoint, its usage
   * and debit notes commit together, so a round re-run after a restart is never billed twice).
   *
   * @return the market's notices, for the job's event log
   */
  List<JobMarket.Notice> completeRound(Job job, RoundSummary summary, Checkpoint checkpoint) {
    return db.transact("record and bill round " + summary.round() + " of job " + job.id(), () -> {
      store.completeRound(job, summary, checkpoint);
      return market.meter(summary);
    });
  }

  /** Closes a job's billing once it ended; a failure to invoice is logged and does not change the job. */
  void billingEnded(JobId job, String how) {
    try {
      for (JobMarket.Notice n : market.jobEnded(job, how)) event(job, n.type(), n.message());
    } catch (RuntimeException e) {
      log.error("job={} could not be invoiced", job, e);
      event(job, "billing_refused", "invoicing failed: " + e.getMessage());
    }
  }

  /**
   * Where rounds draw their Poisson samples ({@link PoissonSampling}): the coordinator's {@link
   * SecureRandom}, or what a test put in its place with {@link #samplingSource}.
   */
  RandomGenerator sampler() {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        return sampling.nextLong();
      }

      @Override
      public double nextDouble() {
        return sampling.nextDouble();
      }
    };
  }

  /** For tests only: draws the rounds' samples from {@code random} instead of a SecureRandom. */
  void samplingSource(RandomGenerator random) {
    sampling = java.util.Objects.requireNonNull(random, "random");
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

  /** Whether a runner is driving {@code job} (or finishing it: billing, releasing its nodes). */
  boolean hasRunner(JobId job) {
    return runners.containsKey(job);
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
        Optional<Set<NodeId>> approved = market.approvedNodes(job.id());
        Set<NodeId> eligible = eligible(plan, approved);
        if (approved.isPresent() && eligible.size() < needed) {
          wait(current, "waiting for " + needed + " node(s) with an approved agreement: " + eligible.size() + " approved"
              + " (a market job: only nodes whose provider approved an agreement for it get its tasks)");
          continue;
        }
        List<NodeId> free = eligible.stream()
            .filter(n -> online(n) && (slots.get(n).reservedBy() == null || slots.get(n).reservedBy().equals(job.id())))
            .toList();
        if (free.size() < needed) {
          long online = eligible.stream().filter(this::online).count();
          wait(current, "waiting for " + needed + " free node(s) holding " + plan.datasetNames() + (approved.isPresent() ? " with an approved agreement" : "")
              + ": " + eligible.size() + (approved.isPresent() ? " approved" : " registered") + ", " + online + " online, " + free.size() + " free");
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
    store.updateJob(new Job(job.id(), job.spec(), job.state(), job.completedRounds(), message, job.createdAt(), job.startedAt(), job.finishedAt(), job.metrics(), job.owner()));
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
