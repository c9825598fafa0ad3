package dev.fedgrid.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.UserId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.job.SecureAggregation;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.fleet.FleetServer;
import dev.fedgrid.gateway.fleet.FleetServerOptions;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.state.SqlStateStore;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import dev.fedgrid.ml.LocalData;
import dev.fedgrid.ml.TrainingEngine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway never receives or stores one node's update under secure aggregation. A real gateway
 * (coordinator, SQLite state, gRPC fleet service on loopback) runs a SecAgg+ round for three real
 * node daemons that reach it through a recording TCP proxy in plaintext (with TLS the proxy would
 * see only ciphertext, in which nothing could ever be found). One node's update is a recognisable
 * canary. Afterwards neither its trained parameters, nor its difference from the global model, nor
 * its quantized weighted values appear in any byte that crossed the proxy or in the gateway's
 * SQLite files, while the released model is the weighted mean of the three updates within one
 * quantization step.
 */
class SecAggCanaryTest {
  private static final CoordinatorOptions FAST =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(3000), Duration.ofMillis(500), Duration.ofMillis(50));
  /** The canary node's difference from the global model: three values no other update has. */
  private static final float[] CANARY = {0.6180339f, -0.4142135f, 0.2718281f};
  private static final float[][] OTHERS = {{0.05f, 0.05f, 0.05f}, {-0.125f, 0.25f, 0f}};
  private static final long[] ROWS = {24, 8, 16};

  @TempDir Path dir;

  @Test
  void theGatewayNeverReceivesOrStoresTheCanaryNodesUpdateAndReleasesTheCorrectSum() throws Exception {
    var store = SqlStateStore.sqlite(dir.resolve("gateway").resolve("gateway.db"));
    var audit = new AuditLog(store.database(), Clock.systemUTC());
    var coordinator = new Coordinator(store, audit, Clock.systemUTC(), FAST);
    coordinator.start();
    var server = FleetServer.start(coordinator, "127.0.0.1", 0, FleetServerOptions.builder().shutdownTimeout(Duration.ofSeconds(2)).build());
    var proxy = new RecordingProxy(server.port());
    var ana = new Principal(UserId.random(), "ana", "data-scientist", Set.of(Permission.MAKE_DATA_REQUESTS));
    var operator = new Principal(UserId.random(), "ops", "administrator", Set.of(Permission.MANAGE_INFRASTRUCTURE));
    var daemons = new ArrayList<NodeDaemon>();
    Parameters initial;
    Parameters released;
    Job done;
    List<RoundSummary> rounds;
    try {
      for (int k = 0; k < 3; k++) {
        String name = "hospital-" + k;
        float[] delta = k == 0 ? CANARY : OTHERS[k - 1];
        long rows = ROWS[k];
        var config = NodeConfig.builder()
            .gateway("127.0.0.1", proxy.port())
            .nodeName(name)
            .dataDir(dir.resolve(name))
            .dataset(DatasetOption.parse("name=cancer,path=" + rows + ".csv,label=benign"))
            .joinToken(new JoinTokens(store.database(), audit, Clock.systemUTC()).issue(operator, Optional.of(name), Duration.ofHours(1)).token())
            .pollWait(Duration.ofSeconds(1))
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .build();
        daemons.add(NodeDaemon.start(config, () -> new DeltaEngine(delta), option -> load(Long.parseLong(option.path().getFileName().toString().replace(".csv", ""))), false));
      }
      for (NodeDaemon d : daemons) d.awaitRegistration(Duration.ofSeconds(20));
      var training = new TrainingConfig(null, null, null, null, null, 11L);
      var spec = new JobSpec("canary", List.of("cancer"), ModelSpec.logisticRegression(), training, null, 1, 3, 30, false, null, null, null, null, null,
          SecureAggregation.secAggPlus());
      Job job = coordinator.submitJob(ana, spec);
      initial = store.latestCheckpoint(job.id()).orElseThrow().parameters();
      long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!coordinator.job(ana, job.id()).state().isTerminal() && System.nanoTime() < until) Thread.sleep(50);
      done = coordinator.job(ana, job.id());
      rounds = coordinator.rounds(ana, job.id());
      released = coordinator.model(ana, job.id()).parameters();
      assertThat(coordinator.events(ana, job.id(), 0, Duration.ZERO)).extracting(e -> e.message())
          .anyMatch(m -> m.contains("SecAgg+ stage 3 (masked inputs) closed, 3 of 3 node(s) go on"));
    } finally {
      daemons.forEach(NodeDaemon::close);
      server.close();
      proxy.close();
      coordinator.close();
      store.close();
    }
    assertThat(done.state()).as(done.message()).isEqualTo(JobState.COMPLETED);
    RoundSummary round = rounds.getFirst();
    assertThat(round.updates()).isEqualTo(3);
    assertThat(round.examples()).isEqualTo(48);
    assertThat(round.fitMetrics()).as("no per-node training metrics under secure aggregation").isEmpty();

    // the released model: global + the example-weighted mean of the differences, within one step
    double step = 2.0 / 65535;
    float[] g = initial.values();
    for (int i = 0; i < g.length; i++) {
      double mean = (CANARY[i] * ROWS[0] + OTHERS[0][i] * ROWS[1] + OTHERS[1][i] * ROWS[2]) / 48.0;
      assertThat((double) released.values()[i]).as("value %d", i).isCloseTo(g[i] + mean, org.assertj.core.api.Assertions.within(step + 1e-6));
    }

    // what the canary node would have sent in the clear, in every form it could take
    float[] local = new float[g.length];
    for (int i = 0; i < g.length; i++) local[i] = g[i] + CANARY[i];
    var forms = new ArrayList<byte[]>();
    forms.add(floats(local));
    forms.add(floats(CANARY));
    forms.add(quantizedWords(CANARY, ROWS[0]));
    byte[] wire = proxy.recorded();
    assertThat(wire.length).as("the proxy saw the fleet traffic").isGreaterThan(2_000);
    var places = new ArrayList<byte[]>();
    places.add(wire);
    try (Stream<Path> files = Files.walk(dir.resolve("gateway"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) places.add(Files.readAllBytes(f));
    }
    assertThat(places).hasSizeGreaterThan(1);
    for (byte[] place : places) {
      for (byte[] form : forms) assertThat(RecordingProxy.contains(place, form)).isFalse();
    }
    // the search is sensitive: the released model, which the gateway does hold, is found in its state
    byte[] state = Files.readAllBytes(dir.resolve("gateway").resolve("gateway.db"));
    assertThat(RecordingProxy.contains(state, floats(released.values())) || RecordingProxy.contains(wire, floats(released.values()))).isTrue();
  }

  /** The little-endian float32 bytes of {@code values}. */
  private static byte[] floats(float[] values) {
    var b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) b.putFloat(v);
    return b.array();
  }

  /** The unmasked words the canary node adds: its weighted 16-bit quantized values, 4-byte little-endian (modulus 2^32). */
  private static byte[] quantizedWords(float[] delta, long weight) {
    var b = ByteBuffer.allocate(4 * delta.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : delta) b.putInt((int) (Math.rint((v + 1.0) * 65535 / 2.0) * weight));
    return b.array();
  }

  private static DatasetLoader.Loaded load(long rows) {
    var columns = List.of(new ColumnStats("x0", rows, 1.0, 2.0), new ColumnStats("x1", rows, -1.0, 0.5));
    var metadata = new DatasetMetadata("cancer", DatasetFormat.CSV, List.of(2), columns, LabelInfo.categorical("benign", List.of(rows / 2, rows - rows / 2)),
        rows, 2, List.of(), Visibility.PUBLIC);
    int n = (int) rows;
    float[] labels = new float[n];
    for (int i = 0; i < n; i++) labels[i] = i % 2;
    return new DatasetLoader.Loaded(metadata, new LocalData(List.of(2), new float[2 * n], labels, n), new LocalData(List.of(2), new float[4], new float[] {0, 1}, 2));
  }

  /** "Trains" by adding a fixed difference to the global model. */
  record DeltaEngine(float[] delta) implements TrainingEngine {
    @Override
    public FitResult fit(ModelSpec spec, Parameters global, LocalData data, FeatureScaling scaling, TrainingConfig config, double proximalMu) {
      float[] out = global.values().clone();
      for (int i = 0; i < out.length; i++) out[i] += delta[i];
      return new FitResult(new Parameters(global.layout(), out), data.rows(), Map.of("loss", 0.25));
    }

    @Override
    public EvalResult evaluate(ModelSpec spec, Parameters parameters, LocalData data, FeatureScaling scaling) {
      return new EvalResult(data.rows(), Map.of("accuracy", 0.5, "loss", 0.7));
    }

    @Override
    public void close() {}
  }

}
