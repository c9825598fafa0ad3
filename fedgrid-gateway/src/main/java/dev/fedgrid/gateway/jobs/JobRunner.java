package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import dev.fedgrid.api.strategy.Strategy;
import dev.fedgrid.core.round.PhaseKind;
import dev.fedgrid.core.round.RoundDriver;
import dev.fedgrid.core.round.RoundFleet;
import dev.fedgrid.core.round.RoundListener;
import dev.fedgrid.core.round.RoundOutcome;
import dev.fedgrid.core.round.RoundPlan;
import dev.fedgrid.core.round.RoundTask;
import dev.fedgrid.core.strategy.Strategies;
import dev.fedgrid.gateway.fleet.TaskAssignment;
import dev.fedgrid.gateway.fleet.TaskKind;
import dev.fedgrid.gateway.state.Checkpoint;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one job from its last checkpoint to its last round on a virtual thread of its own: the
 * job's lifecycle (states, events, checkpoints, privacy spend, cancel and shutdown) around core's
 * {@link RoundDriver}, which runs each round.
 *
 * <p>Each round: pick the job's online nodes (and any newly free eligible ones); the driver keeps
 * each of them with probability {@code q = sampleFraction}, drawn once from the coordinator's
 * {@code SecureRandom} (Poisson sampling, never re-drawn; a draw below {@code minNodes} fails the
 * job), opens the strategy's round for {@code q} times the eligible nodes, sends each selected node
 * a fit task through the coordinator's mailboxes ({@link Fleet}), folds updates into the strategy's
 * aggregate as they arrive, closes the phase when every node reported or the round deadline passed
 * (failing the silent ones), then sends evaluate tasks with the new global parameters and averages
 * the metrics. The round's summary and checkpoint are stored atomically before the next round
 * starts, so a gateway restart re-runs at most the round in flight.
 *
 * <p>Thread-safe for {@link #cancel()} and {@link #stopForShutdown()} from other threads.
 */
final class JobRunner {
  private static final Logger log = LoggerFactory.getLogger(JobRunner.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

  private final Coordinator coordinator;
  private final JobId id;
  private final Set<NodeId> nodes;
  private volatile boolean cancelled;
  private volatile String cancelledBy = "system";
  private volatile boolean shuttingDown;
  private volatile RoundDriver driver;
  private Thread thread;

  JobRunner(Coordinator coordinator, Job job, List<NodeId> reserved) {
    this.coordinator = coordinator;
    this.id = job.id();
    this.nodes = new LinkedHashSet<>(reserved);
  }

  void start() {
    thread = Thread.ofVirtual().name("fedgrid-job-" + id).start(this::run);
  }

  /**
   * Asks the job to stop: the round in flight is abandoned and the job ends cancelled.
   *
   * @param actor who cancelled it, for the audit event
   */
  void cancel(String actor) {
    cancelledBy = actor;
    cancelled = true;
    interrupt();
  }

  /** Stops without changing the job's state, so it resumes after the gateway restarts. */
  void stopForShutdown() {
    shuttingDown = true;
    interrupt();
  }

  void join(Duration timeout) {
    try {
      if (thread != null) thread.join(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void interrupt() {
    RoundDriver d = driver;
    if (d != null) d.abort(stopReason());
    if (thread != null) thread.interrupt();
  }

  private void run() {
    Job job = coordinator.job(id);
    try {
      JobSpec spec = job.spec();
      Checkpoint checkpoint = coordinator.store.latestCheckpoint(id).orElseThrow(() -> new IllegalStateException("job " + id + " has no checkpoint"));
      ParameterLayout layout = spec.model().parameterLayout(JobPlan.resolve(spec, coordinator.store).inputShape());
      Strategy strategy = Strategies.create(spec.strategy(), spec.privacy(), layout);
      JobPrivacy privacy = JobPrivacy.of(spec);
      strategy.restore(checkpoint.strategyState());
      Parameters global = checkpoint.parameters();
      if (job.state() == JobState.QUEUED) {
        job = update(job, JobState.RUNNING, job.completedRounds(), "running", coordinator.clock.instant(), null, job.metrics());
        coordinator.event(id, "started", "started on " + nodes.size() + " node(s): " + names(nodes));
      } else {
        job = update(job, JobState.RUNNING, job.completedRounds(), "running", job.startedAt(), null, job.metrics());
        coordinator.event(id, "resumed", "resumed after round " + checkpoint.round() + " on " + nodes.size() + " node(s)");
      }
      log.info("job={} running rounds {}..{} on nodes {}", id, checkpoint.round() + 1, spec.rounds(), nodes);
      var fleet = new Fleet(spec, layout);
      driver = new RoundDriver(strategy, fleet, coordinator.clock, coordinator.sampler(), POLL);
      if (cancelled || shuttingDown) driver.abort(stopReason());
      for (int round = checkpoint.round() + 1; round <= spec.rounds(); round++) {
        if (cancelled || shuttingDown) break;
        Instant started = coordinator.clock.instant();
        fleet.plan = JobPlan.resolve(spec, coordinator.store);
        List<NodeId> eligible = participants(fleet.plan, spec, round);
        DifferentialPrivacy local = spec.privacy() != null && spec.privacy().mode() == PrivacyMode.LOCAL ? spec.privacy() : null;
        var plan = new RoundPlan(round, eligible, spec.sampleFraction(), spec.minNodes(), spec.roundTimeoutSeconds(), spec.training().epochs(), local,
            JobSecAgg.plan(spec, fleet.plan));
        RoundListener announce = new RoundListener() {
          @Override
          public void started(RoundPlan p, List<NodeId> participants) {
            coordinator.event(id, "round_started", "round " + p.round() + "/" + spec.rounds() + " started on " + participants.size() + " node(s)"
                + (spec.sampleFraction() < 1 ? " sampled from " + p.eligible().size() + " eligible (q " + spec.sampleFraction() + ")" : "")
                + (p.secAgg() != null ? " with secure aggregation (SecAgg+)" : ""));
          }

          @Override
          public void secAggStageClosed(RoundPlan p, dev.fedgrid.core.secagg.SecAggStage stage, int survivors, int selected) {
            coordinator.event(id, "secagg_stage", "round " + p.round() + ": SecAgg+ stage " + stageName(stage) + " closed, " + survivors + " of " + selected
                + " node(s) go on");
          }
        };
        RoundOutcome.Completed done;
        switch (driver.run(plan, global, announce)) {
          case RoundOutcome.SampleTooSmall s -> {
            failSample(job, round, s.sampled(), s.eligible(), spec);
            return;
          }
          case RoundOutcome.TooFewUpdates t -> {
            fail(job, round, t, spec);
            return;
          }
          case RoundOutcome.SecureAggregationFailed f -> {
            failSecure(job, round, f);
            return;
          }
          case RoundOutcome.Completed c -> done = c;
        }
        if (cancelled || shuttingDown) break;

        for (NodeFailure f : done.failures()) coordinator.event(id, "node_failed", "round " + round + ": node " + f.node() + " " + f.phase() + " failed: " + f.reason());
        Map<String, Double> evalMetrics = done.evalMetrics();
        Double epsilon = privacy == null ? null : privacy.spentAfter(round);
        RoundSummary summary = new RoundSummary(id, round, started, coordinator.clock.instant(), done.participants(), done.updates(), done.examples(),
            done.failures(), done.fitMetrics(), evalMetrics, epsilon, done.contributions(), coordinator.usage(id, round, done.contributions().keySet()));
        job = new Job(id, spec, JobState.RUNNING, round, "running", job.createdAt(), job.startedAt(), null, evalMetrics.isEmpty() ? job.metrics() : evalMetrics, job.owner());
        List<JobMarket.Notice> billed = coordinator.completeRound(job, summary, new Checkpoint(round, done.parameters(), strategy.state()));
        global = done.parameters();
        coordinator.event(id, "round_completed", "round " + round + "/" + spec.rounds() + ": " + describe(evalMetrics.isEmpty() ? summary.fitMetrics() : evalMetrics)
            + " (" + done.updates() + "/" + done.participants().size() + " updates, " + done.examples() + " examples"
            + (privacy == null ? "" : "; " + privacy.progress(epsilon)) + ")");
        for (JobMarket.Notice n : billed) coordinator.event(id, n.type(), n.message());
        log.info("job={} round={} completed: {} updates, metrics {}", id, round, done.updates(), evalMetrics);
        coordinator.forgetTasks(id, round);
      }
      if (shuttingDown) {
        log.info("job={} paused for gateway shutdown after round {}", id, job.completedRounds());
      } else if (cancelled) {
        coordinator.storeCancelled(job, cancelledBy);
      } else {
        update(job, JobState.COMPLETED, job.completedRounds(), "", job.startedAt(), coordinator.clock.instant(), job.metrics());
        coordinator.event(id, "completed", "completed " + job.completedRounds() + " rounds: " + describe(job.metrics())
            + (privacy == null ? "" : "; ε " + JobPrivacy.format(privacy.spentAfter(job.completedRounds())) + " spent"));
        log.info("job={} completed: {}", id, job.metrics());
      }
    } catch (InterruptedException e) {
      if (cancelled && !shuttingDown) {
        coordinator.storeCancelled(coordinator.job(id), cancelledBy);
      }
    } catch (RuntimeException e) {
      if (shuttingDown) return;
      String reason = e instanceof FedGridException f ? f.getMessage() : "internal error: " + e;
      log.error("job={} failed", id, e);
      Job latest = coordinator.job(id);
      if (!latest.state().isTerminal()) {
        update(latest, JobState.FAILED, latest.completedRounds(), reason, latest.startedAt(), coordinator.clock.instant(), latest.metrics());
        coordinator.event(id, "failed", reason);
      }
    } finally {
      for (NodeId n : nodes) coordinator.release(id, n);
      if (!shuttingDown) coordinator.billingEnded(id, coordinator.job(id).state().wireName());
      coordinator.runnerFinished(id);
    }
  }

  /**
   * The nodes of this round: reserved ones still online plus newly free eligible ones. A node that
   * is no longer eligible (its agreement for a market job ended, say at its hard cap) is released.
   */
  private List<NodeId> participants(JobPlan plan, JobSpec spec, int round) throws InterruptedException {
    Instant deadline = coordinator.clock.instant().plusSeconds(spec.roundTimeoutSeconds());
    while (true) {
      nodes.addAll(coordinator.reserveEligible(id, plan));
      Set<NodeId> eligible = coordinator.eligible(id, plan);
      for (NodeId n : List.copyOf(nodes)) {
        if (!eligible.contains(n) && plan.byNode().containsKey(n)) {
          nodes.remove(n);
          coordinator.release(id, n);
        }
      }
      List<NodeId> online = nodes.stream().filter(n -> coordinator.online(n) && plan.byNode().containsKey(n)).toList();
      if (online.size() >= spec.minNodes()) return online;
      if (!coordinator.clock.instant().isBefore(deadline)) {
        boolean market = coordinator.marketJob(id);
        throw new dev.fedgrid.api.UnavailableException(
            "TOO_FEW_NODES",
            "round " + round + " of job " + id + " could not start: " + online.size() + " of the needed " + spec.minNodes()
                + " node(s)" + (market ? " with an approved agreement" : "") + " online within " + spec.roundTimeoutSeconds() + " s; "
                + (market ? "approve agreements for more nodes, " : "") + "bring the nodes holding " + plan.datasetNames()
                + " back online or lower --min-nodes (a job runs on the datasets it was submitted on)");
      }
      Thread.sleep(coordinator.options.schedulerTick());
    }
  }

  private String stopReason() {
    return cancelled ? "job cancelled" : "gateway shutting down";
  }

  private void fail(Job job, int round, RoundOutcome.TooFewUpdates fit, JobSpec spec) {
    String silent = fit.failures().stream()
        .map(f -> "node " + f.node() + " " + f.reason() + " (last seen " + CLOCK.format(coordinator.lastSeen(f.node())) + " UTC)")
        .collect(Collectors.joining("; "));
    String reason = "round " + round + " of job " + id + " failed: " + fit.delivered() + " of " + fit.selected() + " updates arrived, "
        + spec.minNodes() + " needed; " + silent + ". Raise --round-timeout or lower --min-nodes";
    for (NodeFailure f : fit.failures()) coordinator.event(id, "node_failed", "round " + round + ": node " + f.node() + " " + f.phase() + " failed: " + f.reason());
    update(job, JobState.FAILED, job.completedRounds(), reason, job.startedAt(), coordinator.clock.instant(), job.metrics());
    coordinator.event(id, "failed", reason);
    log.warn("job={} round={} failed: {}", id, round, reason);
  }

  /** Fails the job when a round's secure aggregation was abandoned; no sum was released. */
  private void failSecure(Job job, int round, RoundOutcome.SecureAggregationFailed f) {
    for (NodeFailure n : f.failures()) coordinator.event(id, "node_failed", "round " + round + ": node " + n.node() + " " + n.phase() + " failed: " + n.reason());
    String reason = "round " + round + " of job " + id + " failed: " + f.reason();
    update(job, JobState.FAILED, job.completedRounds(), reason, job.startedAt(), coordinator.clock.instant(), job.metrics());
    coordinator.event(id, "failed", reason);
    log.warn("job={} round={} failed: {}", id, round, reason);
  }

  private static String stageName(dev.fedgrid.core.secagg.SecAggStage stage) {
    return switch (stage) {
      case ADVERTISE_KEYS -> "1 (keys)";
      case SHARE_KEYS -> "2 (shares)";
      case MASKED_INPUT -> "3 (masked inputs)";
      case UNMASKING -> "4 (unmasking)";
      default -> stage.name();
    };
  }

  /**
   * Fails the job when a round's Poisson draw selected fewer than {@code minNodes}: the round is
   * not re-drawn, since conditioning the sample on its size would break the independence the
   * privacy analysis of sampling assumes.
   */
  private void failSample(Job job, int round, int sampled, int eligible, JobSpec spec) {
    double q = spec.sampleFraction();
    String reason = "round " + round + " of job " + id + " failed: the draw with sample fraction " + q + " selected " + sampled + " of " + eligible
        + " eligible node(s), " + spec.minNodes() + " needed (expected " + String.format(java.util.Locale.ROOT, "%.1f", q * eligible)
        + "; rounds are not re-drawn). Raise --sample-fraction, lower --min-nodes, or bring more eligible nodes online";
    update(job, JobState.FAILED, job.completedRounds(), reason, job.startedAt(), coordinator.clock.instant(), job.metrics());
    coordinator.event(id, "failed", reason);
    log.warn("job={} round={} failed: {}", id, round, reason);
  }

  private Job update(Job job, JobState state, int completed, String message, Instant startedAt, Instant finishedAt, Map<String, Double> metrics) {
    Job next = new Job(id, job.spec(), state, completed, message, job.createdAt(), startedAt, finishedAt, metrics, job.owner());
    coordinator.store.updateJob(next);
    return next;
  }

  private static String names(Set<NodeId> nodes) {
    return nodes.stream().map(NodeId::value).collect(Collectors.joining(", "));
  }

  /**
   * The aggregate loss and accuracy, for event messages: events are shown to everyone who may see the
   * job, so they never carry metrics that are held until a release ({@link
   * RoundSummary#AGGREGATE_METRICS}).
   */
  static String describe(Map<String, Double> metrics) {
    String shown = metrics.entrySet().stream()
        .filter(e -> RoundSummary.AGGREGATE_METRICS.contains(e.getKey()))
        .sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + " " + String.format(java.util.Locale.ROOT, "%.4f", e.getValue()))
        .collect(Collectors.joining(", "));
    return shown.isEmpty() ? "no aggregate loss or accuracy" : shown;
  }

  /**
   * The round driver's port on the gateway: a task becomes a {@link TaskAssignment} for the node's
   * dataset of this round's {@link JobPlan}, queued in the node's mailbox; a node is offline when
   * the coordinator has not heard from it within the node timeout.
   */
  private final class Fleet implements RoundFleet {
    private final JobSpec spec;
    private final ParameterLayout layout;
    volatile JobPlan plan;

    Fleet(JobSpec spec, ParameterLayout layout) {
      this.spec = spec;
      this.layout = layout;
    }

    @Override
    public void dispatch(List<RoundTask> tasks) {
      for (RoundTask task : tasks) {
        DatasetInfo dataset = plan.byNode().get(task.node());
        boolean fit = task.kind() == PhaseKind.FIT;
        var assignment = new TaskAssignment(task.id(), id, task.round(), fit ? TaskKind.FIT : TaskKind.EVALUATE, dataset.id(), spec.model(), spec.training(),
            task.proximalMu(), spec.scaling(), layout, task.deadline(), task.localPrivacy(), spec.confidential(), task.secAgg());
        long limit = fit ? dataset.metadata().trainRows() : dataset.metadata().testRows();
        coordinator.dispatch(new OpenTask(assignment, task, limit));
      }
    }

    @Override
    public boolean offline(NodeId node) {
      return !coordinator.online(node);
    }

    @Override
    public boolean evaluates(NodeId node) {
      return plan.byNode().get(node).metadata().testRows() > 0;
    }
  }
}
