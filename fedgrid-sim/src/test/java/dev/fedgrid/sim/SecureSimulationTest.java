package dev.fedgrid.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.job.JobSpec;
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
}
