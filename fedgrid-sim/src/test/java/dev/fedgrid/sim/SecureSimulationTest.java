package dev.fedgrid.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.core.round.RoundListener;
import dev.fedgrid.core.round.RoundPlan;
import dev.fedgrid.core.round.RoundTask;
import dev.fedgrid.core.secagg.SecAggStage;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import java.lang.management.ManagementFactory;
import dev.fedgrid.api.job.SecureAggregation;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.ml.CsvDatasetReader;
import dev.fedgrid.ml.CsvOptions;
import dev.fedgrid.ml.DjlTrainingEngine;
import dev.fedgrid.ml.LocalDataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The simulator under secure aggregation runs the same SecAgg+ code as the grid: without faults it
 * releases the plaintext run's model within quantization error; with nodes dying after sharing their
 * keys, the rounds recover their masks and still learn.
 */
class SecureSimulationTest {
  private static JobSpec spec(SecureAggregation secure) {
    return new JobSpec("sim", List.of("cancer"), ModelSpec.logisticRegression(), new TrainingConfig(1, 16, null, 0.1, null, 7L), null, 2, 4, 60, true, null, null,
        null, null, null, secure);
  }

  private static Simulation sim(JobSpec spec, LocalDataset data, FaultPlan faults, DjlTrainingEngine engine) {
    return CsvSimulation.of(spec, data, Population.Split.IID, 0.5, 2, 16, 12, faults, engine, 16, 42);
  }

  @Test
  void secureAggregationReleasesThePlaintextModelWithinQuantizationError() throws Exception {
    var data = CsvDatasetReader.read(Path.of("../data/breast_cancer_wisconsin.csv"), CsvOptions.of("cancer", "benign"));
    try (var engine = DjlTrainingEngine.create(2)) {
      var plain = sim(spec(null), data, FaultPlan.none(), engine);
      var secure = sim(spec(SecureAggregation.secAggPlus()), data, FaultPlan.none(), engine);
      plain.run(r -> {});
      var rounds = new ArrayList<SimRound>();
      secure.run(rounds::add);
      assertThat(rounds).extracting(SimRound::outcome).containsOnly("completed");
      assertThat(rounds).allSatisfy(r -> {
        assertThat(r.updates()).isEqualTo(12);
        assertThat(r.fitMetrics()).isEmpty();
        assertThat(r.contributions()).hasSize(12);
      });
      float[] a = plain.parameters().values();
      float[] b = secure.parameters().values();
      double maxDiff = 0;
      for (int i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      // one step of 2 / 65535 per round on each value, carried through one more round of training
      assertThat(maxDiff).isGreaterThan(0).isLessThan(1e-3);
    }
  }

  @Test
  void nodesDyingAfterSharingTheirKeysAreRecoveredAndTheModelStillLearns() throws Exception {
    var data = CsvDatasetReader.read(Path.of("../data/breast_cancer_wisconsin.csv"), CsvOptions.of("cancer", "benign"));
    var faults = FaultPlan.none().withSecAggDropout(0.25);
    try (var engine = DjlTrainingEngine.create(2)) {
      var rounds = new ArrayList<SimRound>();
      sim(spec(new SecureAggregation(null, null, 3, null, null, null)), data, faults, engine).run(rounds::add);
      assertThat(rounds).extracting(SimRound::outcome).containsOnly("completed");
      var fitFailures = rounds.stream().flatMap(r -> r.failures().stream()).filter(f -> f.phase().equals("fit")).toList();
      assertThat(fitFailures).isNotEmpty().allSatisfy(f -> assertThat(f.reason()).isEqualTo("node went offline during SecAgg+ stage MASKED_INPUT"));
      // a node that died stays dead for the round: it fails evaluation too
      assertThat(rounds).allSatisfy(r -> assertThat(r.updates() + r.failures().stream().filter(f -> f.phase().equals("fit")).count()).isEqualTo(12));
      assertThat(rounds.getLast().evalMetrics().get("accuracy")).isGreaterThan(0.8);
    }
  }

  /**
   * Every node of a SecAgg+ round waits in this JVM at once (a real node holds only its own), so a
   * waiting node must keep no more than it needs: its input (d floats) until it masks it, and
   * nothing of size d once its masked input is in the sum. Measured as heap in use after {@code
   * System.gc()} when the round driver reports stages 1 and 3 closed, with 20 nodes at d = 500,000
   * (2 MB of floats each). The simulator before this test kept nodes' trained parameters too: 87 MB
   * at stage 1's close against the bound of 60.
   */
  @Test
  void waitingNodesKeepOnlyTheirInputUntilTheyMaskIt() throws Exception {
    int nodes = 20;
    var spec = new JobSpec("wide", List.of("x"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), new StrategyConfig.FedAvg(), 1, 2, 60, false, null,
        null, 1.0, null, null, SecureAggregation.secAggPlus());
    var layout = spec.model().parameterLayout(List.of(499_999));
    long vector = 4L * layout.size(); // bytes of one node's d floats
    var sim = new Simulation(spec, layout, nodes, new Shifting(), FaultPlan.none(), 5);
    long[] heap = new long[2];
    long before = heapAfterGc();
    sim.run(r -> assertThat(r.outcome()).isEqualTo("completed"), new RoundListener() {
      @Override
      public void secAggStageClosed(RoundPlan plan, SecAggStage stage, int survivors, int selected) {
        if (stage == SecAggStage.ADVERTISE_KEYS) heap[0] = heapAfterGc() - before;
        if (stage == SecAggStage.MASKED_INPUT) heap[1] = heapAfterGc() - before;
      }
    });
    // stage 1 closed: every node holds its input, and not its trained parameters besides
    assertThat(heap[0]).isBetween(nodes * vector * 9 / 10, nodes * vector * 3 / 2);
    // stage 3 closed: the inputs and masked vectors are gone; the global model, the server's sum and a little more remain
    assertThat(heap[1]).isLessThan(nodes * vector / 2);
  }

  private static long heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** A node whose training moves every parameter by a small step of its own. */
  private static final class Shifting implements NodeWork {
    @Override
    public FitResult fit(int node, RoundTask task) {
      float[] next = task.start().values().clone();
      for (int i = 0; i < next.length; i++) next[i] += (node % 5 - 2) * 0.01f;
      return new FitResult(new Parameters(task.start().layout(), next), 10, Map.of());
    }

    @Override
    public EvalResult evaluate(int node, RoundTask task) {
      return new EvalResult(4, Map.of("accuracy", 0.5));
    }
  }
}
