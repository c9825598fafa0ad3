package dev.fedgrid.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.UserId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.SecureAggregation;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.core.secagg.SecAggMessage;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.fleet.Registration;
import dev.fedgrid.gateway.fleet.TaskAssignment;
import dev.fedgrid.gateway.state.SqlStateStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's SecAgg+ entry points with bad input: submission refusals, and messages for unknown
 * tasks, other nodes' tasks, the wrong round-local node, too many examples, an update in the clear
 * and a message out of stage order (which abandons the round and fails the job with the stage, the
 * node and what went wrong, releasing nothing).
 */
class SecAggFleetTest {
  private static final CoordinatorOptions FAST =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));

  @TempDir Path dir;
  private SqlStateStore store;
  private AuditLog audit;
  private Coordinator coordinator;
  private final Principal ana = new Principal(UserId.random(), "ana", "data-scientist", Set.of(Permission.MAKE_DATA_REQUESTS));

  @BeforeEach
  void start() {
    store = SqlStateStore.sqlite(dir.resolve("gateway.db"));
    audit = new AuditLog(store.database(), Clock.systemUTC());
    coordinator = new Coordinator(store, audit, Clock.systemUTC(), FAST);
    coordinator.start();
  }

  @AfterEach
  void stop() {
    coordinator.close();
    store.close();
  }

  private JobSpec spec(StrategyConfig strategy, int minNodes, SecureAggregation secure) {
    return new JobSpec("secure", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), strategy, 1, minNodes, 30, true, null, null, null,
        null, null, secure);
  }

  @Test
  void aJobNeedingMoreNeighboursThanItsNodesAllowIsRefusedAtSubmission() {
    register("a", 100);
    register("b", 100);
    assertThatThrownBy(() -> coordinator.submitJob(ana, spec(new StrategyConfig.FedAvg(), 3, new SecureAggregation(null, 2, null, null, null, null))))
        .isInstanceOf(InvalidRequestException.class).hasFieldOrPropertyWithValue("code", "SECURE_AGGREGATION_IMPOSSIBLE").hasMessageContaining("needs at least 3 nodes");
    assertThat(coordinator.jobs(ana, List.of(), Optional.empty(), 10)).isEmpty();
  }

  @Test
  void badMessagesAreRefusedAndAMessageOutOfStageOrderAbandonsTheRoundReleasingNothing() throws Exception {
    Registration a = register("a", 100);
    Registration b = register("b", 100);
    register("c", 100); // the third node: its task stays unanswered
    Job job = coordinator.submitJob(ana, spec(new StrategyConfig.FedAvg(), 3, SecureAggregation.secAggPlus()));
    TaskAssignment ta = coordinator.pollTask(a.nodeId(), Duration.ofSeconds(5)).orElseThrow();
    TaskAssignment tb = coordinator.pollTask(b.nodeId(), Duration.ofSeconds(5)).orElseThrow();
    assertThat(ta.secAgg()).isNotNull();
    assertThat(ta.secAgg().setup().config().clients()).isEqualTo(3);
    assertThat(ta.secAgg().setup().config().maxWeight()).as("the largest catalogued training row count").isEqualTo(80);
    int ia = ta.secAgg().setup().node();
    var keys = new SecAggMessage.AdvertiseKeys(ia, new byte[32], new byte[32]);

    assertThatThrownBy(() -> coordinator.secAggSubmit(a.nodeId(), TaskId.random(), keys, 10))
        .isInstanceOf(NotFoundException.class).hasFieldOrPropertyWithValue("code", "TASK_NOT_FOUND");
    assertThatThrownBy(() -> coordinator.secAggSubmit(b.nodeId(), ta.id(), keys, 10)).as("another node's task")
        .isInstanceOf(NotFoundException.class).hasFieldOrPropertyWithValue("code", "TASK_NOT_FOUND");
    assertThatThrownBy(() -> coordinator.secAggAwait(b.nodeId(), ta.id(), Duration.ZERO)).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> coordinator.secAggSubmit(a.nodeId(), ta.id(), keys, 81)).as("more examples than the dataset has")
        .hasFieldOrPropertyWithValue("code", "INVALID_EXAMPLES");
    assertThatThrownBy(() -> coordinator.secAggSubmit(a.nodeId(), ta.id(), new SecAggMessage.AdvertiseKeys((ia + 1) % 3, new byte[32], new byte[32]), 10))
        .hasFieldOrPropertyWithValue("code", "SECAGG_WRONG_NODE");
    assertThatThrownBy(() -> coordinator.completeFit(a.nodeId(), ta.id(), coordinator.taskParameters(a.nodeId(), ta.id()), 10, Map.of()))
        .as("an update in the clear").hasFieldOrPropertyWithValue("code", "SECAGG_REQUIRED");
    assertThat(coordinator.secAggAwait(a.nodeId(), ta.id(), Duration.ofMillis(10))).as("stage 1 is open: nothing yet").isNull();

    // a masked input while stage 1 is open breaks the protocol: the round is abandoned
    int ib = tb.secAgg().setup().node();
    assertThatThrownBy(() -> coordinator.secAggSubmit(b.nodeId(), tb.id(), new SecAggMessage.MaskedInput(ib, new long[4]), 0))
        .hasFieldOrPropertyWithValue("code", "SECAGG_OUT_OF_ORDER");
    assertThatThrownBy(() -> coordinator.secAggAwait(a.nodeId(), ta.id(), Duration.ZERO)).hasFieldOrPropertyWithValue("code", "SECAGG_ROUND_ABANDONED");

    Job done = awaitTerminal(job);
    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(done.message()).contains("SecAgg+ stage ADVERTISE_KEYS, node " + ib).contains("no sum is released");
    assertThat(done.completedRounds()).isZero();
    assertThat(coordinator.rounds(ana, job.id())).isEmpty();
  }

  private Job awaitTerminal(Job job) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!coordinator.job(ana, job.id()).state().isTerminal() && System.nanoTime() < until) Thread.sleep(20);
    return coordinator.job(ana, job.id());
  }

  private Registration register(String name, long rows) {
    Principal operator = new Principal(UserId.random(), "ops", "administrator", Set.of(Permission.MANAGE_INFRASTRUCTURE));
    String joinToken = new JoinTokens(store.database(), audit, Clock.systemUTC()).issue(operator, Optional.of(name), Duration.ofHours(1)).token();
    var columns = List.of(new ColumnStats("x0", rows, 1.0, 2.0), new ColumnStats("x1", rows, -1.0, 0.5));
    var metadata = new DatasetMetadata("cancer", DatasetFormat.CSV, List.of(2), columns, LabelInfo.categorical("benign", List.of(rows / 2, rows - rows / 2)),
        rows * 4 / 5, rows / 5, List.of(), Visibility.PUBLIC);
    return coordinator.register(new NodeHello(Optional.empty(), Optional.empty(), name, 2, 1024, "test", List.of(metadata), Optional.of(joinToken)));
  }
}
