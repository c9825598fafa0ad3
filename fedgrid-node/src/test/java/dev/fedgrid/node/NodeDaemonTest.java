package dev.fedgrid.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.core.tensor.TensorCodec;
import dev.fedgrid.gateway.fleet.FleetServer;
import dev.fedgrid.gateway.fleet.FleetServerOptions;
import dev.fedgrid.gateway.fleet.TaskAssignment;
import dev.fedgrid.gateway.fleet.TaskKind;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import dev.fedgrid.ml.LocalData;
import dev.fedgrid.ml.TrainingEngine;
import dev.fedgrid.ml.TrainingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node daemon end to end: the real fleet server on 127.0.0.1 in front of a fake backend, the
 * real gRPC client, a training engine that adds 1 to every parameter, and rows made in code.
 */
@Timeout(60)
class NodeDaemonTest {
  /** A value in the node's rows that must never reach the gateway. */
  private static final float CANARY = 271828.18f;

  @TempDir Path dataDir;
  private FakeBackend backend;
  private FleetServer server;
  private PlusOneEngine engine;
  private NodeDaemon node;

  @BeforeEach
  void start() {
    backend = new FakeBackend();
    server = FleetServer.start(backend, "127.0.0.1", 0, FleetServerOptions.builder().shutdownTimeout(Duration.ofSeconds(2)).build());
    engine = new PlusOneEngine();
  }

  @AfterEach
  void stop() {
    if (node != null) node.close();
    server.close();
  }

  @Test
  void registersPullsTrainsEvaluatesAndPushes() throws Exception {
    node = NodeDaemon.start(config(), () -> engine, NodeDaemonTest::load, false);
    var nodeId = node.awaitRegistration(Duration.ofSeconds(10));

    // registration: metadata only
    assertThat(backend.hellos).singleElement().satisfies(h -> {
      assertThat(h.nodeId()).isEmpty();
      assertThat(h.name()).isEqualTo("test-node");
      assertThat(h.datasets()).containsExactly(metadata());
      assertThat(h.toString() + h.datasets()).doesNotContain(String.valueOf(CANARY)).doesNotContain("271828");
    });

    // identity: saved, owner-only
    Path identity = dataDir.resolve("node-identity.json");
    assertThat(Files.readString(identity)).contains(nodeId.value());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(identity))).isEqualTo("rw-------");

    // a fit task
    Parameters global = new Parameters(layout(), new float[] {0.5f, -0.0f, Float.MIN_VALUE});
    TaskAssignment fit = task(TaskKind.FIT, Duration.ofSeconds(30));
    backend.offer(fit, global);
    await(() -> backend.fits.size() == 1);
    FakeBackend.Fit f = backend.fits.getFirst();
    assertThat(f.node()).isEqualTo(nodeId);
    assertThat(f.task()).isEqualTo(fit.id());
    assertThat(f.examples()).isEqualTo(8);
    assertThat(f.metrics()).isEqualTo(Map.of("loss", 0.5));
    float[] expected = {0.5f + 1, -0.0f + 1, Float.MIN_VALUE + 1};
    assertThat(TensorCodec.encode(f.parameters())).isEqualTo(TensorCodec.encode(new Parameters(layout(), expected)));
    assertThat(engine.lastTrainRows).isEqualTo(8);
    assertThat(engine.lastProximalMu).isEqualTo(0.01);

    // an evaluate task runs on the test split and sends no parameters
    TaskAssignment evaluate = task(TaskKind.EVALUATE, Duration.ofSeconds(30));
    backend.offer(evaluate, global);
    await(() -> backend.evaluations.size() == 1);
    assertThat(backend.evaluations.getFirst().examples()).isEqualTo(2);
    assertThat(backend.evaluations.getFirst().metrics()).containsEntry("accuracy", 0.75);
    assertThat(backend.failures).isEmpty();
    await(() -> backend.heartbeats.get() > 0);
  }

  @Test
  void reconnectsAfterTheGatewayRestartsAndKeepsItsIdAcrossNodeRestarts() throws Exception {
    node = NodeDaemon.start(config(), () -> engine, NodeDaemonTest::load, false);
    var nodeId = node.awaitRegistration(Duration.ofSeconds(10));
    int port = server.port();

    // the gateway goes away and comes back on the same port with its state lost
    server.close();
    Thread.sleep(300);
    backend = new FakeBackend();
    server = FleetServer.start(backend, "127.0.0.1", port, FleetServerOptions.defaults());
    TaskAssignment fit = task(TaskKind.FIT, Duration.ofSeconds(30));
    backend.offer(fit, new Parameters(layout(), new float[] {1, 2, 3}));

    await(() -> backend.fits.size() == 1);
    assertThat(backend.hellos).singleElement().satisfies(h -> assertThat(h.nodeId()).contains(nodeId)); // re-registered with its saved identity
    assertThat(backend.fits.getFirst().node()).isEqualTo(nodeId);

    // the node restarts and presents the identity it saved
    long start = System.nanoTime();
    node.close();
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
    node = NodeDaemon.start(config(), () -> engine, NodeDaemonTest::load, false);
    assertThat(node.nodeId()).contains(nodeId);
    assertThat(node.awaitRegistration(Duration.ofSeconds(10))).isEqualTo(nodeId);
    assertThat(backend.hellos.getLast().nodeId()).contains(nodeId);
  }

  @Test
  void reportsATaskThatCannotFinishBeforeItsDeadline() throws Exception {
    engine.block = new CountDownLatch(1);
    node = NodeDaemon.start(config(), () -> engine, NodeDaemonTest::load, false);
    node.awaitRegistration(Duration.ofSeconds(10));

    TaskAssignment fit = task(TaskKind.FIT, Duration.ofMillis(1500));
    backend.offer(fit, new Parameters(layout(), new float[] {1, 2, 3}));

    await(() -> backend.failures.size() == 1);
    assertThat(backend.failures.getFirst().task()).isEqualTo(fit.id());
    assertThat(backend.failures.getFirst().reason()).contains("did not finish").doesNotContain("271828");
    assertThat(backend.fits).isEmpty();
    await(() -> engine.interrupted);
  }

  @Test
  void closeInterruptsTrainingAndReportsTheTaskPromptly() throws Exception {
    engine.block = new CountDownLatch(1);
    node = NodeDaemon.start(config(), () -> engine, NodeDaemonTest::load, false);
    node.awaitRegistration(Duration.ofSeconds(10));
    TaskAssignment fit = task(TaskKind.FIT, Duration.ofSeconds(60));
    backend.offer(fit, new Parameters(layout(), new float[] {1, 2, 3}));
    await(() -> engine.started);

    long start = System.nanoTime();
    node.close();
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
    assertThat(node.awaitTermination(Duration.ofSeconds(1))).isTrue();
    assertThat(backend.failures).singleElement().satisfies(f -> assertThat(f.reason()).contains("shutting down"));
  }

  @Test
  void reportsATaskForADatasetItDoesNotHost() throws Exception {
    node = NodeDaemon.start(config(), () -> engine, NodeDaemonTest::load, false);
    node.awaitRegistration(Duration.ofSeconds(10));
    TaskAssignment t = task(TaskKind.FIT, Duration.ofSeconds(30));
    TaskAssignment elsewhere = new TaskAssignment(
        t.id(), t.job(), t.round(), t.kind(), dev.fedgrid.api.DatasetId.random(), t.model(), t.training(), t.proximalMu(), t.scaling(), t.layout(), t.deadline());
    backend.offer(elsewhere, new Parameters(layout(), new float[] {1, 2, 3}));

    await(() -> backend.failures.size() == 1);
    assertThat(backend.failures.getFirst().reason()).contains("is not hosted by this node");
  }

  @Test
  void aLocalDpTaskIsClippedAndNoisedBeforeItLeavesAndInvalidSettingsAreRefused() throws Exception {
    node = NodeDaemon.start(config(), () -> engine, NodeDaemonTest::load, false);
    node.awaitRegistration(Duration.ofSeconds(10));
    Parameters global = new Parameters(layout(), new float[] {0.5f, -1f, 2f});
    TaskAssignment t = task(TaskKind.FIT, Duration.ofSeconds(30));
    // the engine adds 1 to each of 3 weights: an update of norm sqrt(3), clipped to 0.5, plus noise 0.001 x 0.5
    TaskAssignment local = new TaskAssignment(t.id(), t.job(), t.round(), t.kind(), t.dataset(), t.model(), t.training(), t.proximalMu(), t.scaling(),
        t.layout(), t.deadline(), DifferentialPrivacy.local(0.001, 0.5));
    backend.offer(local, global);
    await(() -> backend.fits.size() == 1);
    float[] sent = backend.fits.getFirst().parameters().values();
    double norm = 0;
    for (int i = 0; i < sent.length; i++) {
      double d = sent[i] - global.values()[i];
      norm += d * d;
      assertThat(d).as("weight %d", i).isCloseTo(0.5 / Math.sqrt(3), org.assertj.core.data.Offset.offset(0.003)); // 6 noise sd
      assertThat(sent[i]).isNotEqualTo(global.values()[i] + 1); // not the raw update
    }
    assertThat(Math.sqrt(norm)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.006));

    // a task the node cannot honour is refused and reported; invalid values (z or C out of range) take
    // the same path through LocalDp.of, whose checks LocalDpTest covers (the gateway's record cannot
    // even build such a task)
    TaskAssignment e = task(TaskKind.EVALUATE, Duration.ofSeconds(30));
    backend.offer(new TaskAssignment(e.id(), e.job(), e.round(), e.kind(), e.dataset(), e.model(), e.training(), 0, e.scaling(), e.layout(),
        e.deadline(), DifferentialPrivacy.local(1, 1)), global);
    await(() -> backend.failures.size() == 1);
    assertThat(backend.failures.getFirst().reason()).contains("refuses the task").contains("fit tasks only");
    assertThat(backend.evaluations).isEmpty();
    assertThat(backend.fits).hasSize(1);
  }

  // ---------------------------------------------------------------------------------- fixtures

  private NodeConfig config() {
    return NodeConfig.builder()
        .gateway("127.0.0.1", server.port())
        .nodeName("test-node")
        .dataDir(dataDir)
        .dataset(DatasetOption.parse("name=cancer,path=unused.csv,label=benign,tags=health"))
        .pollWait(Duration.ofSeconds(2))
        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .build();
  }

  private TaskAssignment task(TaskKind kind, Duration timeLeft) {
    return new TaskAssignment(
        TaskId.random(), JobId.random(), 1, kind, backend.datasetId("cancer"), ModelSpec.logisticRegression(),
        TrainingConfig.defaults(), 0.01, FeatureScaling.identity(), layout(), Instant.now().plus(timeLeft));
  }

  private static ParameterLayout layout() {
    return ModelSpec.logisticRegression().parameterLayout(List.of(2));
  }

  static DatasetMetadata metadata() {
    return new DatasetMetadata(
        "cancer", DatasetFormat.CSV, List.of(2), List.of(new ColumnStats("radius", 8, 1.5, 0.5), new ColumnStats("texture", 8, 2.5, 0.5)),
        LabelInfo.categorical("benign", List.of(4L, 4L)), 8, 2, List.of("health"), Visibility.PRIVATE);
  }

  /** Rows made in code, with a canary value that must never leave the node. */
  private static DatasetLoader.Loaded load(DatasetOption option) {
    float[] train = new float[16];
    for (int i = 0; i < train.length; i++) train[i] = i;
    train[5] = CANARY;
    return new DatasetLoader.Loaded(
        metadata(),
        new LocalData(List.of(2), train, new float[] {0, 1, 0, 1, 0, 1, 0, 1}, 8),
        new LocalData(List.of(2), new float[] {CANARY, 1, 2, 3}, new float[] {0, 1}, 2));
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) throw new AssertionError("condition not met within 15 s");
      Thread.sleep(20);
    }
  }

  /** Adds 1 to every parameter; optionally blocks until interrupted, like a long training run. */
  static final class PlusOneEngine implements TrainingEngine {
    volatile CountDownLatch block;
    volatile boolean started;
    volatile boolean interrupted;
    volatile int lastTrainRows;
    volatile double lastProximalMu;

    @Override
    public FitResult fit(ModelSpec spec, Parameters global, LocalData data, FeatureScaling scaling, TrainingConfig config, double proximalMu) {
      started = true;
      CountDownLatch b = block;
      if (b != null) {
        try {
          b.await();
        } catch (InterruptedException e) {
          interrupted = true;
          throw new TrainingException("training was interrupted");
        }
      }
      lastTrainRows = data.rows();
      lastProximalMu = proximalMu;
      float[] out = global.values().clone();
      for (int i = 0; i < out.length; i++) out[i] += 1;
      return new FitResult(new Parameters(global.layout(), out), data.rows(), Map.of("loss", 0.5));
    }

    @Override
    public EvalResult evaluate(ModelSpec spec, Parameters parameters, LocalData data, FeatureScaling scaling) {
      return new EvalResult(data.rows(), Map.of("accuracy", 0.75, "loss", 0.4));
    }

    @Override
    public void close() {}
  }
}
