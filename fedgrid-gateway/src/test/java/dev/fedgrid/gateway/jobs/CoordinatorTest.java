package dev.fedgrid.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.UserId;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.core.dp.CentralDp;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.fleet.Registration;
import dev.fedgrid.gateway.fleet.TaskAssignment;
import dev.fedgrid.gateway.fleet.TaskKind;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.state.SqlStateStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator with a real SQLite store, driven by simulated nodes that call the fleet backend
 * exactly as the gRPC service does. Each simulated node "trains" by adding a fixed step to every
 * parameter, so the expected global model after each round is known exactly.
 */
class CoordinatorTest {
  private static final CoordinatorOptions FAST =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));

  @TempDir Path dir;
  private SqlStateStore store;
  private AuditLog audit;
  private Coordinator coordinator;
  private final Principal ana = new Principal(UserId.random(), "ana", "data-scientist", Set.of(Permission.MAKE_DATA_REQUESTS));
  private final List<SimNode> nodes = new ArrayList<>();

  @BeforeEach
  void start() {
    store = SqlStateStore.sqlite(dir.resolve("gateway.db"));
    audit = new AuditLog(store.database(), Clock.systemUTC());
    coordinator = new Coordinator(store, audit, Clock.systemUTC(), FAST);
    coordinator.start();
  }

  @AfterEach
  void stop() {
    nodes.forEach(SimNode::stop);
    coordinator.close();
    store.close();
  }

  @Test
  void fedAvgRunsEveryRoundAndAveragesByExamples() throws Exception {
    simNode("a", 100, 1.0f);
    simNode("b", 300, 3.0f);
    Job job = coordinator.submitJob(ana, spec(3, 2, new StrategyConfig.FedAvg()));
    Parameters initial = store.latestCheckpoint(job.id()).orElseThrow().parameters();

    Job done = awaitTerminal(job.id());

    assertThat(done.state()).isEqualTo(JobState.COMPLETED);
    assertThat(done.completedRounds()).isEqualTo(3);
    List<RoundSummary> rounds = coordinator.rounds(ana, job.id());
    assertThat(rounds).extracting(RoundSummary::round).containsExactly(1, 2, 3);
    assertThat(rounds).allSatisfy(r -> {
      assertThat(r.updates()).isEqualTo(2);
      assertThat(r.examples()).isEqualTo(400);
      assertThat(r.failures()).isEmpty();
      assertThat(r.evalMetrics()).containsKey("accuracy");
    });
    // each round moves every weight by (100 * 1 + 300 * 3) / 400 = 2.5
    float[] last = coordinator.model(ana, job.id()).parameters().values();
    for (int i = 0; i < last.length; i++) assertThat(last[i]).isCloseTo(initial.values()[i] + 7.5f, org.assertj.core.data.Offset.offset(1e-4f));
    // evaluation metrics are weighted by test examples: (10 * 0.5 + 30 * 0.9) / 40
    assertThat(done.metrics().get("accuracy")).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(coordinator.events(ana, job.id(), 0, Duration.ZERO)).extracting(e -> e.type())
        .containsSubsequence("queued", "started", "round_started", "round_completed", "completed");
  }

  @Test
  void jobWaitsInTheQueueUntilEnoughNodesAreOnline() throws Exception {
    simNode("a", 100, 1.0f);
    Registration b = register("b", 100); // enrolled, then offline: its dataset is in the job, its node not online
    awaitOffline(b.nodeId());
    Job job = coordinator.submitJob(ana, spec(1, 2, new StrategyConfig.FedAvg()));
    awaitMessage(job.id(), "waiting for 2 free node(s)");
    assertThat(coordinator.job(job.id()).state()).isEqualTo(JobState.QUEUED);

    nodes.add(new SimNode(coordinator, b, 1.0f, 100).start()); // the node comes back
    assertThat(awaitTerminal(job.id()).state()).isEqualTo(JobState.COMPLETED);
  }

  @Test
  void aSilentNodeFailsAtTheDeadlineAndTheRoundCompletesWithTheOthers() throws Exception {
    simNode("a", 100, 1.0f);
    simNode("b", 100, 1.0f);
    SimNode silent = simNode("c", 100, 1.0f);
    silent.ignoreFitTasks.set(true); // alive (heartbeats) but never answers
    JobSpec spec = new JobSpec("t", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), null, 1, 2, 1, true);

    Job done = awaitTerminal(coordinator.submitJob(ana, spec).id());

    assertThat(done.state()).isEqualTo(JobState.COMPLETED);
    RoundSummary round = coordinator.rounds(ana, done.id()).getFirst();
    assertThat(round.updates()).isEqualTo(2);
    assertThat(round.failures()).singleElement().satisfies(f -> {
      assertThat(f.node()).isEqualTo(silent.id);
      assertThat(f.reason()).contains("deadline");
    });
  }

  @Test
  void aRoundBelowTheMinimumFailsTheJobWithTheNumbers() throws Exception {
    simNode("a", 100, 1.0f);
    SimNode broken = simNode("b", 100, 1.0f);
    broken.failFitTasks.set(true);

    Job done = awaitTerminal(coordinator.submitJob(ana, spec(2, 2, new StrategyConfig.FedAvg())).id());

    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(done.message()).contains("1 of 2 updates arrived, 2 needed").contains(broken.id.value()).contains("lower --min-nodes");
    assertThat(done.completedRounds()).isZero();
  }

  @Test
  void invalidAndReplayedUpdatesAreRefusedAndChangeNothing() throws Exception {
    Registration a = register("a", 100);
    Registration b = register("b", 100);
    Job job = coordinator.submitJob(ana, spec(1, 2, new StrategyConfig.FedAvg()));
    TaskAssignment ta = coordinator.pollTask(a.nodeId(), Duration.ofSeconds(5)).orElseThrow();
    TaskAssignment tb = coordinator.pollTask(b.nodeId(), Duration.ofSeconds(5)).orElseThrow();
    Parameters start = coordinator.taskParameters(a.nodeId(), ta.id());

    float[] nan = start.values().clone();
    nan[1] = Float.NaN;
    assertThatThrownBy(() -> coordinator.completeFit(a.nodeId(), ta.id(), new Parameters(start.layout(), nan), 100, Map.of()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("index 1");
    assertThatThrownBy(() -> coordinator.completeFit(b.nodeId(), tb.id(), start, 101, Map.of()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("101 examples");
    assertThatThrownBy(() -> coordinator.completeFit(b.nodeId(), ta.id(), start, 10, Map.of()))
        .as("a node cannot answer another node's task").isInstanceOf(NotFoundException.class);

    coordinator.completeFit(b.nodeId(), tb.id(), start, 100, Map.of());
    assertThatThrownBy(() -> coordinator.completeFit(b.nodeId(), tb.id(), start, 100, Map.of()))
        .as("replay").isInstanceOf(ConflictException.class).hasMessageContaining("once per task")
        .satisfies(e -> assertThat(((ConflictException) e).code()).isEqualTo("UPDATE_ALREADY_RECEIVED"));
    // a's task closed as failed by the rejected update; the round needs 2 updates, so the job fails
    Job done = awaitTerminal(job.id());
    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(done.message()).contains("update rejected");
  }

  @Test
  void wrongTokensAreRefused() {
    Registration a = register("a", 100);
    assertThatThrownBy(() -> coordinator.authenticate(a.nodeId(), "nope")).isInstanceOf(UnauthenticatedException.class);
    assertThatThrownBy(() -> coordinator.register(new NodeHello(Optional.of(a.nodeId()), Optional.of("nope"), "a", 2, 1024, "test", List.of())))
        .isInstanceOf(UnauthenticatedException.class);
    coordinator.authenticate(a.nodeId(), a.token());
    Registration again = coordinator.register(new NodeHello(Optional.of(a.nodeId()), Optional.of(a.token()), "a", 2, 1024, "test", List.of(metadata(100))));
    assertThat(again.nodeId()).isEqualTo(a.nodeId());
    assertThat(again.datasets().getFirst().id()).isEqualTo(a.datasets().getFirst().id());
  }

  @Test
  void submissionChecksDatasetsAndTheModel() {
    register("a", 100);
    assertThatThrownBy(() -> coordinator.submitJob(ana, new JobSpec("t", List.of("nope"), ModelSpec.logisticRegression(), null, null, 1, 1, 10, true)))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("no node has registered a dataset named 'nope'");
    ModelSpec threeClasses = ModelSpec.mlp(List.of(4), 3, dev.fedgrid.api.model.Loss.SOFTMAX_CROSS_ENTROPY);
    assertThatThrownBy(() -> coordinator.submitJob(ana, new JobSpec("t", List.of("cancer"), threeClasses, null, null, 1, 1, 10, true)))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("2 classes").hasMessageContaining("2 units wide");
    assertThat(coordinator.jobs(ana, List.of(), Optional.empty(), 10)).isEmpty();
  }

  @Test
  void cancellingARunningJobStopsIt() throws Exception {
    simNode("a", 100, 1.0f);
    SimNode slow = simNode("b", 100, 1.0f);
    slow.ignoreFitTasks.set(true);
    Job job = coordinator.submitJob(ana, new JobSpec("t", List.of("cancer"), ModelSpec.logisticRegression(), null, null, 5, 2, 60, true));
    awaitState(job.id(), JobState.RUNNING);

    Job cancelled = coordinator.cancelJob(ana, job.id());

    assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
    assertThatThrownBy(() -> coordinator.cancelJob(ana, job.id())).isInstanceOf(ConflictException.class);
    coordinator.deleteJob(ana, job.id());
    assertThatThrownBy(() -> coordinator.job(job.id())).isInstanceOf(NotFoundException.class);
  }

  @Test
  void aRestartedCoordinatorResumesAtTheLastCompletedRound() throws Exception {
    SimNode a = simNode("a", 100, 1.0f);
    SimNode b = simNode("b", 100, 1.0f);
    a.delay.set(150);
    Job job = coordinator.submitJob(ana, spec(6, 2, new StrategyConfig.FedAdam(null, null, null, null)));
    awaitRounds(job.id(), 2);

    nodes.forEach(SimNode::stop);
    coordinator.close(); // the job stays running in the store
    int before = store.job(job.id()).orElseThrow().completedRounds();
    assertThat(store.job(job.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);

    coordinator = new Coordinator(store, audit, Clock.systemUTC(), FAST);
    coordinator.start();
    // stored last-seen times are not trusted: until its nodes call again the job waits
    assertThat(coordinator.nodes(ana)).extracting(n -> n.status()).containsOnly(dev.fedgrid.api.node.NodeStatus.OFFLINE);
    Thread.sleep(300);
    assertThat(coordinator.events(ana, job.id(), 0, Duration.ZERO)).extracting(e -> e.type()).doesNotContain("resumed");
    assertThat(store.job(job.id()).orElseThrow().completedRounds()).isEqualTo(before);
    nodes.clear();
    nodes.add(new SimNode(coordinator, a.registration, 1.0f, 100).start());
    nodes.add(new SimNode(coordinator, b.registration, 1.0f, 100).start());

    Job done = awaitTerminal(job.id());
    assertThat(done.state()).isEqualTo(JobState.COMPLETED);
    assertThat(coordinator.rounds(ana, job.id())).extracting(RoundSummary::round).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(coordinator.events(ana, job.id(), 0, Duration.ZERO)).extracting(e -> e.type()).contains("resuming", "resumed");
    assertThat(before).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aDpFedAvgJobRecordsTheEpsilonOfEveryRound() throws Exception {
    DifferentialPrivacy privacy = new DifferentialPrivacy(1.1, 1.0, null, null, null, null);
    double planned = CentralDp.epsilon(privacy, 4);
    Registration a = register("a", 100); // registered but offline: the job waits, and says what it will spend
    Registration b = register("b", 300);
    // a node counts as online for the node time-out after registering; wait until neither is, so the
    // job cannot start on them and then lose them
    awaitOffline(a.nodeId());
    awaitOffline(b.nodeId());
    JobSpec dp = new JobSpec("dp", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), null, 4, 2, 10, true, null, privacy);
    Job job = coordinator.submitJob(ana, dp);
    assertThat(coordinator.job(job.id()).message()).contains("ε " + JobPrivacy.format(planned) + " planned");
    awaitMessage(job.id(), "0 online");
    assertThat(coordinator.job(job.id()).message()).contains("waiting for 2 free node(s)").contains("ε " + JobPrivacy.format(planned) + " planned");

    nodes.add(new SimNode(coordinator, a, 1.0f, 100).start());
    nodes.add(new SimNode(coordinator, b, 3.0f, 300).start());
    Parameters initial = store.latestCheckpoint(job.id()).orElseThrow().parameters();
    Job done = awaitTerminal(job.id());

    assertThat(done.state()).isEqualTo(JobState.COMPLETED);
    List<RoundSummary> rounds = coordinator.rounds(ana, job.id());
    assertThat(rounds).extracting(RoundSummary::round).containsExactly(1, 2, 3, 4);
    for (RoundSummary r : rounds) assertThat(r.epsilon()).as("round %d", r.round()).isEqualTo(CentralDp.epsilon(privacy, r.round()));
    assertThat(rounds).extracting(RoundSummary::epsilon).isSorted();
    assertThat(rounds.getLast().epsilon()).isEqualTo(planned);
    // Each node's update (every one of the 3 weights +1 or +3) is clipped to norm 1, so the model moves
    // by at most (1 + 1) / 2 = 1 in norm per round, 4 in all, plus noise N(0, (1.1 / 2)^2) on each of
    // 3 weights x 4 rounds (norm about 0.55 sqrt(12) = 1.9; 5 times that is far out in its tail).
    // Unclipped FedAvg would move each weight by 4 x 2.5 = 10, a norm of 17.3.
    float[] last = coordinator.model(ana, job.id()).parameters().values();
    double moved = 0;
    for (int i = 0; i < last.length; i++) moved += Math.pow(last[i] - initial.values()[i], 2);
    assertThat(Math.sqrt(moved)).isLessThan(4 + 5 * 0.55 * Math.sqrt(12));

    var events = coordinator.events(ana, job.id(), 0, Duration.ZERO);
    assertThat(events).filteredOn(e -> e.type().equals("queued")).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("DP-FedAvg (σ 1.1, clip 1.0, δ 1.0E-5): ε " + JobPrivacy.format(planned) + " planned"));
    assertThat(events).filteredOn(e -> e.type().equals("round_completed")).hasSize(4).last()
        .satisfies(e -> assertThat(e.message()).contains("ε " + JobPrivacy.format(planned) + " of " + JobPrivacy.format(planned) + " planned"));
    assertThat(events).filteredOn(e -> e.type().equals("round_completed")).first()
        .satisfies(e -> assertThat(e.message()).startsWith("round 1/4: ").contains("ε " + JobPrivacy.format(CentralDp.epsilon(privacy, 1)) + " of "));
  }

  @Test
  void sampledRoundsDrawBinomialCountsAndSpendTheSubsampledEpsilon() throws Exception {
    // reproducible draws instead of SecureRandom; with this seed no round of 8 draws at q 0.5 is empty
    // (an empty draw, probability 1/256 per round, would fail the job: see the next test)
    coordinator.samplingSource(new java.util.SplittableRandom(1));
    int n = 8;
    for (int i = 0; i < n; i++) simNode("n" + i, 100, 1.0f);
    DifferentialPrivacy privacy = DifferentialPrivacy.withNoise(1.0);
    int rounds = 24;
    JobSpec spec = new JobSpec("sampled", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), null, rounds, 1, 10, true, null, privacy, 0.5);
    Job job = coordinator.submitJob(ana, spec);
    assertThat(coordinator.events(ana, job.id(), 0, Duration.ZERO).getFirst().message()).contains("q 0.5)");

    Job done = awaitTerminal(job.id());

    assertThat(done.state()).as(done.message()).isEqualTo(JobState.COMPLETED);
    List<RoundSummary> summaries = coordinator.rounds(ana, job.id());
    assertThat(summaries).hasSize(rounds);
    // each round's sample is Binomial(8, 0.5): mean 4, variance 2; the mean of 24 rounds has standard
    // deviation 0.29, so [2.5, 5.5] is a wide bound, and not every round takes everyone
    double mean = summaries.stream().mapToInt(r -> r.nodes().size()).average().orElseThrow();
    assertThat(mean).isBetween(2.5, 5.5);
    assertThat(summaries).anySatisfy(r -> assertThat(r.nodes().size()).isLessThan(n));
    assertThat(summaries.stream().mapToInt(r -> r.nodes().size()).distinct().count()).isGreaterThan(1);
    for (RoundSummary r : summaries) {
      assertThat(r.updates()).isEqualTo(r.nodes().size());
      double subsampled = dev.fedgrid.core.dp.RdpAccountant.withDefaultOrders().compose(1.0, 0.5, r.round()).epsilon(1e-5).epsilon();
      assertThat(r.epsilon()).as("round %d", r.round()).isEqualTo(subsampled);
      assertThat(r.epsilon()).isLessThan(CentralDp.epsilon(privacy, r.round()));
    }
    assertThat(coordinator.events(ana, job.id(), 0, Duration.ZERO)).filteredOn(e -> e.type().equals("round_started"))
        .allSatisfy(e -> assertThat(e.message()).contains("sampled from 8 eligible (q 0.5)"));
  }

  @Test
  void aDrawBelowMinNodesFailsTheJobWithoutRedrawing() throws Exception {
    java.util.random.RandomGenerator neverBelowHalf = () -> -1L; // nextDouble() is just below 1: nobody is drawn at q 0.5
    coordinator.samplingSource(neverBelowHalf);
    simNode("a", 100, 1.0f);
    simNode("b", 100, 1.0f);
    JobSpec spec = new JobSpec("sampled", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), null, 3, 1, 10, true, null, null, 0.5);

    Job done = awaitTerminal(coordinator.submitJob(ana, spec).id());

    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(done.completedRounds()).isZero();
    assertThat(done.message()).contains("round 1 of job").contains("selected 0 of 2 eligible node(s), 1 needed").contains("not re-drawn")
        .contains("--sample-fraction");
  }

  @Test
  void aLocalDpJobSendsTheParametersToNodesReceivesNoisedUpdatesAndRecordsEpsilon() throws Exception {
    List<SimNode> sims = List.of(simNode("a", 100, 1.0f), simNode("b", 100, 1.0f), simNode("c", 100, 1.0f));
    DifferentialPrivacy local = DifferentialPrivacy.local(0.5, 1.0);
    JobSpec spec = new JobSpec("local", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), new StrategyConfig.FedMedian(), 2, 3, 10,
        true, null, local);
    Job job = coordinator.submitJob(ana, spec);
    Parameters initial = store.latestCheckpoint(job.id()).orElseThrow().parameters();

    Job done = awaitTerminal(job.id());

    assertThat(done.state()).as(done.message()).isEqualTo(JobState.COMPLETED);
    for (SimNode sim : sims) {
      assertThat(sim.tasks).filteredOn(t -> t.kind() == TaskKind.FIT).hasSize(2).allSatisfy(t -> assertThat(t.localPrivacy()).isEqualTo(local));
      assertThat(sim.tasks).filteredOn(t -> t.kind() == TaskKind.EVALUATE).allSatisfy(t -> assertThat(t.localPrivacy()).isNull());
    }
    List<RoundSummary> summaries = coordinator.rounds(ana, job.id());
    for (RoundSummary r : summaries) {
      assertThat(r.epsilon()).isEqualTo(dev.fedgrid.core.dp.LocalDp.spent(local, r.round()).epsilon());
      assertThat(r.epsilon()).isEqualTo(dev.fedgrid.core.dp.DpAccounting.epsilon(spec, r.round()));
    }
    // Without noise every node sends its +1 step clipped to norm 1 (each of 3 weights + 1/sqrt(3)) and
    // the median moves the model by exactly that per round; with noise N(0, 0.5^2) per weight it does not.
    float[] last = coordinator.model(ana, job.id()).parameters().values();
    double off = 0;
    for (int i = 0; i < last.length; i++) off = Math.max(off, Math.abs(last[i] - (initial.values()[i] + 2 / Math.sqrt(3))));
    assertThat(off).isGreaterThan(1e-3);
    assertThat(coordinator.events(ana, job.id(), 0, Duration.ZERO).getFirst().message()).contains("local DP on nodes (σ 0.5, clip 1.0").contains("planned per node");
  }

  @Test
  void aDpJobWithAnotherStrategyIsRefusedAtSubmission() {
    register("a", 100);
    assertThatThrownBy(() -> coordinator.submitJob(ana, new JobSpec("dp", List.of("cancer"), ModelSpec.logisticRegression(), null,
            new StrategyConfig.FedAdam(null, null, null, null), 3, 1, 10, true, null, DifferentialPrivacy.withNoise(1.0))))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("differential privacy currently works with fedavg");
    assertThat(coordinator.jobs(ana, List.of(), Optional.empty(), 10)).isEmpty();
  }

  // ------------------------------------------------------------------ ownership and audit

  @Test
  void jobsAreVisibleToTheirSubmitterAndToComplianceOnly() throws Exception {
    register("a", 100);
    Principal bo = new Principal(UserId.random(), "bo", "data-scientist", Set.of(Permission.MAKE_DATA_REQUESTS));
    Principal officer = new Principal(UserId.random(), "cora", "compliance-officer", Set.of(Permission.TRIAGE_REQUESTS, Permission.MANAGE_PRIVACY_BUDGET));
    Principal admin = new Principal(UserId.random(), "adam", "administrator", Set.of(Permission.MANAGE_INFRASTRUCTURE, Permission.MANAGE_USERS));
    Job mine = coordinator.submitJob(ana, spec(1, 2, new StrategyConfig.FedAvg()));
    Job theirs = coordinator.submitJob(bo, spec(1, 2, new StrategyConfig.FedAvg()));
    assertThat(mine.owner()).isEqualTo("ana");
    assertThat(store.job(mine.id()).orElseThrow().owner()).isEqualTo("ana");

    assertThat(coordinator.jobs(ana, List.of(), Optional.empty(), 10)).extracting(Job::id).containsExactly(mine.id());
    assertThat(coordinator.jobs(bo, List.of(), Optional.empty(), 10)).extracting(Job::id).containsExactly(theirs.id());
    assertThat(coordinator.jobs(officer, List.of(), Optional.empty(), 10)).extracting(Job::id).containsExactlyInAnyOrder(mine.id(), theirs.id());
    assertThat(coordinator.jobs(admin, List.of(), Optional.empty(), 10)).isEmpty();

    // another user's job is answered as if it did not exist
    assertThatThrownBy(() -> coordinator.job(bo, mine.id())).isInstanceOf(NotFoundException.class).hasMessageContaining("no job has id");
    assertThatThrownBy(() -> coordinator.rounds(bo, mine.id())).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> coordinator.cancelJob(bo, mine.id())).isInstanceOf(NotFoundException.class);
    assertThat(coordinator.job(officer, mine.id()).id()).isEqualTo(mine.id());
    // compliance sees it but may not cancel it; an operator may
    assertThatThrownBy(() -> coordinator.cancelJob(officer, mine.id())).isInstanceOf(PermissionDeniedException.class)
        .hasMessageContaining("only its submitter");
    assertThat(coordinator.cancelJob(ana, mine.id()).state()).isEqualTo(JobState.CANCELLED);
    assertThatThrownBy(() -> coordinator.model(officer, mine.id())).isInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void submissionCancellationAndDeletionAreAudited() throws Exception {
    register("a", 100);
    Job job = coordinator.submitJob(ana, spec(1, 2, new StrategyConfig.FedAvg()));
    coordinator.cancelJob(ana, job.id());
    coordinator.deleteJob(ana, job.id());
    List<AuditEvent> events = jobEvents();
    assertThat(events).extracting(AuditEvent::action).containsExactly("job.submitted", "job.cancelled", "job.deleted");
    assertThat(events).allSatisfy(e -> {
      assertThat(e.actor()).isEqualTo("ana");
      assertThat(e.target()).isEqualTo(job.id().value());
    });
    assertThat(events.getFirst().details()).containsEntry("datasets", "cancer").containsEntry("rounds", "1");
    assertThat(audit.verify().intact()).isTrue();
  }

  @Test
  void aRefusingAdmissionRollsBackTheJobAndOtherAdmissionsWrites() throws Exception {
    register("a", 100);
    coordinator.close();
    var seen = new ArrayList<Job>();
    JobAdmission reserve = (caller, job) -> {
      seen.add(job);
      audit.append(caller.name(), "budget.set", "reservation-for-" + job.id(), Map.of()); // a write in the same transaction
    };
    JobAdmission refuse = (caller, job) -> {
      throw new dev.fedgrid.api.ConflictException("BUDGET_EXCEEDED", "no budget left", Map.of());
    };
    coordinator = new Coordinator(store, audit, Clock.systemUTC(), FAST, List.of(reserve, refuse));
    coordinator.start();
    assertThatThrownBy(() -> coordinator.submitJob(ana, spec(1, 2, new StrategyConfig.FedAvg()))).isInstanceOf(ConflictException.class)
        .hasMessage("no budget left");
    assertThat(seen).singleElement().satisfies(j -> assertThat(j.owner()).isEqualTo("ana"));
    assertThat(store.jobs(List.of(), Optional.empty(), 10)).isEmpty();
    List<AuditEvent> events = jobEvents();
    assertThat(events).extracting(AuditEvent::action).containsExactly("job.refused");
    assertThat(events.getFirst().details()).containsEntry("reason", "BUDGET_EXCEEDED");
    assertThat(events.getFirst().target()).isEqualTo(seen.getFirst().id().value());
  }

  @Test
  void aJobRunsOnTheDatasetsMatchedAtSubmissionOnly() throws Exception {
    SimNode a = simNode("a", 100, 1.0f);
    SimNode b = simNode("b", 100, 1.0f);
    Job job = coordinator.submitJob(ana, spec(3, 2, new StrategyConfig.FedAvg()));
    // fixed to the two datasets named "cancer" now: grants and budgets were checked for exactly these
    assertThat(job.spec().datasets()).hasSize(2).allMatch(d -> d.startsWith("ds_"));
    SimNode late = simNode("late", 100, 100.0f); // registers another "cancer" after submission

    Job done = awaitTerminal(job.id());

    assertThat(done.state()).isEqualTo(JobState.COMPLETED);
    assertThat(coordinator.rounds(ana, job.id())).allSatisfy(r -> assertThat(r.nodes()).containsExactlyInAnyOrder(a.id, b.id).doesNotContain(late.id));
    assertThat(jobEvents().getFirst().details()).containsEntry("datasets", "cancer").containsEntry("datasetIds", String.join(",", job.spec().datasets()));
  }

  @Test
  void eventMessagesCarryOnlyTheAggregateMetrics() {
    assertThat(JobRunner.describe(Map.of("loss", 0.25, "accuracy", 0.9, "auc", 0.97, "f1", 0.8))).isEqualTo("accuracy 0.9000, loss 0.2500");
    assertThat(JobRunner.describe(Map.of("auc", 0.97))).doesNotContain("0.97");
  }

  // ------------------------------------------------------------------ helpers

  private JobSpec spec(int rounds, int minNodes, StrategyConfig strategy) {
    return new JobSpec("test", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), strategy, rounds, minNodes, 10, true);
  }

  private static DatasetMetadata metadata(long rows) {
    var columns = List.of(new ColumnStats("x0", rows, 1.0, 2.0), new ColumnStats("x1", rows, -1.0, 0.5));
    return new DatasetMetadata("cancer", DatasetFormat.CSV, List.of(2), columns, LabelInfo.categorical("benign", List.of(rows / 2, rows - rows / 2)),
        rows, rows / 10, List.of("health"), Visibility.PRIVATE);
  }

  /** Enrols a new node with a join token issued for it, as a node started with --join-token does. */
  private Registration register(String name, long rows) {
    Principal operator = new Principal(UserId.random(), "ops", "administrator", Set.of(Permission.MANAGE_INFRASTRUCTURE));
    String joinToken = new JoinTokens(store.database(), audit, Clock.systemUTC()).issue(operator, Optional.of(name), Duration.ofHours(1)).token();
    return coordinator.register(new NodeHello(Optional.empty(), Optional.empty(), name, 2, 1024, "test", List.of(metadata(rows)), Optional.of(joinToken)));
  }

  /** The audit events of jobs, leaving out the nodes' enrolment. */
  private List<AuditEvent> jobEvents() {
    return audit.events(AuditQuery.all(100)).stream().filter(e -> e.action().startsWith("job.")).toList();
  }

  private SimNode simNode(String name, long rows, float step) {
    SimNode node = new SimNode(coordinator, register(name, rows), step, rows).start();
    nodes.add(node);
    return node;
  }

  private Job awaitTerminal(JobId id) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      Job job = coordinator.job(id);
      if (job.state().isTerminal()) return job;
      Thread.sleep(20);
    }
    throw new AssertionError("job " + id + " did not finish: " + coordinator.job(id));
  }

  private void awaitState(JobId id, JobState state) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (coordinator.job(id).state() != state) {
      if (System.nanoTime() > deadline) throw new AssertionError("job " + id + " never reached " + state);
      Thread.sleep(10);
    }
  }

  private void awaitRounds(JobId id, int rounds) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (coordinator.job(id).completedRounds() < rounds) {
      if (System.nanoTime() > deadline) throw new AssertionError("job " + id + " never completed " + rounds + " rounds");
      Thread.sleep(10);
    }
  }

  private void awaitOffline(NodeId node) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (coordinator.online(node)) {
      if (System.nanoTime() > deadline) throw new AssertionError("node " + node + " never went offline");
      Thread.sleep(20);
    }
  }

  private void awaitMessage(JobId id, String text) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!coordinator.job(id).message().contains(text)) {
      if (System.nanoTime() > deadline) throw new AssertionError("job message never contained '" + text + "': " + coordinator.job(id).message());
      Thread.sleep(10);
    }
  }

  /**
   * A node simulated in-process: it polls for tasks and answers fit tasks with every parameter
   * moved by {@code step}, and evaluate tasks with an accuracy that depends on its size.
   */
  static final class SimNode {
    final Coordinator coordinator;
    final Registration registration;
    final NodeId id;
    final float step;
    final long rows;
    final AtomicBoolean ignoreFitTasks = new AtomicBoolean();
    final AtomicBoolean failFitTasks = new AtomicBoolean();
    final AtomicInteger delay = new AtomicInteger();
    /**
     * CPU time to report per fit and per evaluate task, in microseconds; when positive the node also
     * meters the bytes it moves as the fleet service does (encoded parameters fetched and pushed).
     */
    final java.util.concurrent.atomic.AtomicLong fitCpuMicros = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong evalCpuMicros = new java.util.concurrent.atomic.AtomicLong();
    final List<TaskAssignment> tasks = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private Thread thread;
    private Thread heartbeat;

    SimNode(Coordinator coordinator, Registration registration, float step, long rows) {
      this.coordinator = coordinator;
      this.registration = registration;
      this.id = registration.nodeId();
      this.step = step;
      this.rows = rows;
    }

    SimNode start() {
      heartbeat = Thread.ofVirtual().start(() -> {
        while (running) {
          coordinator.heartbeat(id);
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      thread = Thread.ofVirtual().start(this::loop);
      return this;
    }

    void stop() {
      running = false;
      thread.interrupt();
      heartbeat.interrupt();
      try {
        thread.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void loop() {
      while (running) {
        try {
          Optional<TaskAssignment> task = coordinator.pollTask(id, Duration.ofMillis(200));
          if (task.isEmpty()) continue;
          TaskAssignment t = task.get();
          tasks.add(t);
          if (t.kind() == TaskKind.FIT) {
            if (ignoreFitTasks.get()) continue;
            if (failFitTasks.get()) {
              coordinator.failTask(id, t.id(), "out of memory");
              continue;
            }
            Parameters start = coordinator.taskParameters(id, t.id());
            float[] next = start.values().clone();
            for (int i = 0; i < next.length; i++) next[i] += step;
            // as a real node does (TaskRunner): clip and noise the update when the task asks for local DP
            if (t.localPrivacy() != null) {
              next = dev.fedgrid.core.dp.LocalDp.of(t.localPrivacy().noiseMultiplier(), t.localPrivacy().clipNorm()).privatize(next, start.values());
            }
            Thread.sleep(delay.get());
            Parameters update = new Parameters(start.layout(), next);
            if (fitCpuMicros.get() > 0) {
              coordinator.parametersSent(id, t.id(), dev.fedgrid.core.tensor.TensorCodec.encode(start).length);
              var usage = new dev.fedgrid.api.job.ResourceUsage(fitCpuMicros.get(), dev.fedgrid.core.tensor.TensorCodec.encode(update).length);
              coordinator.completeFit(id, t.id(), update, rows, Map.of("loss", 1.0 / step), usage);
            } else {
              coordinator.completeFit(id, t.id(), update, rows, Map.of("loss", 1.0 / step));
            }
          } else {
            Parameters global = coordinator.taskParameters(id, t.id());
            if (evalCpuMicros.get() > 0) {
              coordinator.parametersSent(id, t.id(), dev.fedgrid.core.tensor.TensorCodec.encode(global).length);
              coordinator.completeEvaluation(id, t.id(), rows / 10, Map.of("accuracy", rows >= 300 ? 0.9 : 0.5),
                  new dev.fedgrid.api.job.ResourceUsage(evalCpuMicros.get(), 0));
            } else {
              coordinator.completeEvaluation(id, t.id(), rows / 10, Map.of("accuracy", rows >= 300 ? 0.9 : 0.5));
            }
          }
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          // a closed task or a stopped coordinator: keep polling, as a real node does
        }
      }
    }
  }
}
