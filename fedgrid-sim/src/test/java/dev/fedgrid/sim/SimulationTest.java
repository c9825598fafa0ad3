package dev.fedgrid.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.ml.CsvDatasetReader;
import dev.fedgrid.ml.CsvOptions;
import dev.fedgrid.ml.DjlTrainingEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A small simulated federation on the breast-cancer data, with drop-outs and one sign-flipping node. */
class SimulationTest {
  @TempDir Path dir;

  @Test
  void fiftyNodesWithFaultsTrainAndWriteTheirResults() throws Exception {
    var data = CsvDatasetReader.read(Path.of("../data/breast_cancer_wisconsin.csv"), CsvOptions.of("cancer", "benign"));
    var spec = new JobSpec("sim", List.of("cancer"), ModelSpec.logisticRegression(), new TrainingConfig(1, 16, null, 0.1, null, 7L), null, 3, 10, 60, true);
    var faults = new FaultPlan(0.05, 0, 0, 0.02, Attack.parse("sign-flip"), 50, 42);
    var rounds = new java.util.ArrayList<SimRound>();
    List<SimRound.Summary> kept;
    try (var engine = DjlTrainingEngine.create(2)) {
      kept = CsvSimulation.of(spec, data, Population.Split.IID, 0.5, 2, 16, 50, faults, engine, 16, 42).run(rounds::add);
    }
    assertThat(kept).isEqualTo(rounds.stream().map(SimRound::summary).toList());
    List<Path> files = SimReport.write(dir, Map.of("seed", "42"), rounds);

    assertThat(rounds).extracting(SimRound::outcome).containsOnly("completed");
    assertThat(rounds).hasSize(3);
    assertThat(faults.byzantineCount()).isEqualTo(1);
    assertThat(rounds).allSatisfy(r -> assertThat(r.byzantine()).isEqualTo(1));
    assertThat(rounds.stream().flatMap(r -> r.failures().stream())).isNotEmpty().allMatch(f -> f.reason().equals("node went offline"));
    assertThat(rounds.getLast().evalMetrics().get("accuracy")).isGreaterThan(0.8);
    assertThat(rounds.getFirst().contributions()).hasSize(rounds.getFirst().updates());
    assertThat(files).allMatch(Files::exists);
    String csv = Files.readString(dir.resolve("rounds.csv"));
    assertThat(csv.lines()).hasSize(4);
    assertThat(Files.readString(dir.resolve("results.json"))).contains("\"byzantine\": 1", "node went offline");
    assertThat(Files.readString(dir.resolve("plot.svg"))).startsWith("<svg").contains("polyline");
  }

  @Test
  void theSameSeedGivesTheSameRounds() throws Exception {
    var data = CsvDatasetReader.read(Path.of("../data/breast_cancer_wisconsin.csv"), CsvOptions.of("cancer", "benign"));
    var spec = new JobSpec("sim", List.of("cancer"), ModelSpec.logisticRegression(), null, null, 2, 2, 60, true, null, null, 0.5);
    var faults = new FaultPlan(0.1, 0.2, 120, 0.1, Attack.parse("scale:5"), 20, 3);
    try (var engine = DjlTrainingEngine.create(2)) {
      var a = CsvSimulation.of(spec, data, Population.Split.DIRICHLET, 0.5, 2, 16, 20, faults, engine, 16, 3);
      var b = CsvSimulation.of(spec, data, Population.Split.DIRICHLET, 0.5, 2, 16, 20, faults, engine, 16, 3);
      var ra = new java.util.ArrayList<SimRound>();
      a.run(ra::add);
      var rb = b.run(r -> {});
      assertThat(rb).extracting(SimRound.Summary::sampled, SimRound.Summary::updates, SimRound.Summary::examples).isEqualTo(
          ra.stream().map(r -> org.assertj.core.groups.Tuple.tuple(r.sampled(), r.updates(), r.examples())).toList());
      // the same updates, folded in arrival order: equal up to float rounding (RoundDriver's javadoc)
      assertThat(b.parameters().values()).containsExactly(a.parameters().values(), org.assertj.core.data.Offset.offset(1e-5f));
      // stragglers (120 s > the 60 s deadline) fail on the virtual clock, costing no real time
      assertThat(ra.stream().flatMap(r -> r.failures().stream()).map(f -> f.reason())).contains("no result before the 60 s deadline");
    }
  }

  @Test
  void aLargePopulationIsDerivedLazily() {
    int[] labels = new int[100];
    for (int i = 0; i < labels.length; i++) labels[i] = i % 2;
    for (var split : Population.Split.values()) {
      var pop = new Population(1_000_000, split, 0.3, 2, 8, labels, 5);
      assertThat(pop.lazy()).isTrue();
      int[] rows = pop.rows(999_999);
      assertThat(rows).isEqualTo(pop.rows(999_999)).isNotEmpty();
      assertThat(java.util.Arrays.stream(rows).allMatch(r -> r >= 0 && r < 100)).isTrue();
    }
    assertThat(VirtualNodes.index(VirtualNodes.id(987_654))).isEqualTo(987_654);
    assertThat(VirtualNodes.population(1_000_000)).hasSize(1_000_000);
  }
}
