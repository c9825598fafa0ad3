package dev.fedgrid.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.core.round.RoundTask;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a simulation keeps does not grow with the clients of past rounds: each round's per-client
 * detail (contributions, failures) is handed to the progress callback and written out, and only a
 * summary of a fixed size is kept per round. Tests the retained data structures, not GC timing.
 */
class SimulationMemoryTest {
  private static final int POPULATION = 200;
  private static final int ROUNDS = 30;

  @TempDir Path dir;

  @Test
  void pastRoundsKeepNoPerClientData() throws Exception {
    // 200 clients, about 50 per round (q = 0.25), 10 % drop-outs, 30 rounds, no real training
    var spec = new JobSpec("flat", List.of("x"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), new StrategyConfig.FedAvg(), ROUNDS, 2, 60,
        false, null, null, 0.25);
    var faults = new FaultPlan(0.1, 0, 0, 0, Attack.parse("sign-flip"), POPULATION, 7);
    var sim = new Simulation(spec, spec.model().parameterLayout(List.of(2)), POPULATION, new Cheap(), faults, 7);
    var handedOut = new ArrayList<int[]>(); // per round: contributions, failures of the full record
    List<SimRound.Summary> kept;
    List<Path> files;
    try (var report = SimReport.open(dir, Map.of("seed", "7"))) {
      kept = sim.run(r -> {
        handedOut.add(new int[] {r.contributions().size(), r.failures().size()});
        try {
          report.add(r);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      assertThat(report.rounds()).isEqualTo(ROUNDS);
      files = report.finish();
    }

    assertThat(kept).hasSize(ROUNDS).extracting(SimRound.Summary::outcome).containsOnly("completed");
    // the full records did carry per-client detail: tens of clients per round
    int contributions = handedOut.stream().mapToInt(c -> c[0]).sum();
    assertThat(handedOut).allSatisfy(c -> assertThat(c[0]).isGreaterThan(20));
    assertThat(contributions).isGreaterThan(ROUNDS * 30);
    assertThat(handedOut.stream().mapToInt(c -> c[1]).sum()).isPositive();
    for (int i = 0; i < ROUNDS; i++) {
      assertThat(kept.get(i).updates()).isEqualTo(handedOut.get(i)[0]);
      assertThat(kept.get(i).failures()).isEqualTo(handedOut.get(i)[1]);
    }

    // the kept summary's type has no per-client component ...
    for (RecordComponent c : SimRound.Summary.class.getRecordComponents()) {
      assertThat(c.getGenericType().getTypeName()).as(c.getName()).doesNotContain(NodeId.class.getName(), NodeFailure.class.getName());
      if (Collection.class.isAssignableFrom(c.getType()) || Map.class.isAssignableFrom(c.getType())) {
        assertThat(c.getName()).isIn("fitMetrics", "evalMetrics");
        assertThat(((ParameterizedType) c.getGenericType()).getActualTypeArguments()[0]).isEqualTo(String.class);
      }
    }
    // ... and what it holds per round is the same handful of entries whatever the round's clients
    int[] retained = kept.stream().mapToInt(SimulationMemoryTest::entries).toArray();
    assertThat(Arrays.stream(retained).max().orElseThrow()).isEqualTo(Arrays.stream(retained).min().orElseThrow()).isLessThanOrEqualTo(4);
    assertThat(Arrays.stream(retained).sum()).isLessThan(contributions / 10);

    // the per-client detail still reaches the files, written a round at a time
    assertThat(files).allMatch(Files::exists);
    assertThat(Files.readString(dir.resolve("rounds.csv")).lines()).hasSize(ROUNDS + 1);
    String json = Files.readString(dir.resolve("results.json"));
    assertThat(json).endsWith("\n  ]\n}\n").contains("node went offline");
    assertThat(json.split("\"contributions\": \\{\"", -1)).hasSize(ROUNDS + 1);
    assertThat(Files.readString(dir.resolve("plot.svg"))).startsWith("<svg").contains("polyline");
  }

  @Test
  void streamedFilesMatchTheFilesWrittenAtOnce() throws Exception {
    var spec = new JobSpec("same", List.of("x"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), new StrategyConfig.FedAvg(), 5, 2, 60,
        false, null, null, 0.25);
    var faults = new FaultPlan(0.1, 0, 0, 0, Attack.parse("sign-flip"), POPULATION, 3);
    var all = new ArrayList<SimRound>();
    Path streamed = dir.resolve("streamed");
    try (var report = SimReport.open(streamed, Map.of("seed", "3"))) {
      new Simulation(spec, spec.model().parameterLayout(List.of(2)), POPULATION, new Cheap(), faults, 3).run(r -> {
        all.add(r);
        try {
          report.add(r);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      report.finish();
    }
    Path atOnce = dir.resolve("at-once");
    SimReport.write(atOnce, Map.of("seed", "3"), all);
    for (String f : List.of("rounds.csv", "results.json", "plot.svg")) {
      assertThat(Files.readString(streamed.resolve(f))).as(f).isEqualTo(Files.readString(atOnce.resolve(f)));
    }
    assertThat(Files.readString(atOnce.resolve("rounds.csv"))).isEqualTo(SimReport.csv(all));
    assertThat(Files.readString(atOnce.resolve("results.json"))).isEqualTo(SimReport.json(Map.of("seed", "3"), all));
    assertThat(Files.readString(atOnce.resolve("plot.svg"))).isEqualTo(SimReport.svg(all));
  }

  /** A node that moves every parameter a little and evaluates in no time. */
  private static final class Cheap implements NodeWork {
    @Override
    public FitResult fit(int node, RoundTask task) {
      float[] next = task.start().values().clone();
      for (int i = 0; i < next.length; i++) next[i] += (node % 7 - 3) * 0.01f;
      return new FitResult(new Parameters(task.start().layout(), next), 10 + node % 5, Map.of("loss", 1.0 / (1 + node)));
    }

    @Override
    public EvalResult evaluate(int node, RoundTask task) {
      return new EvalResult(4, Map.of("accuracy", (node % 10) / 10.0, "loss", 0.5 + node % 3));
    }
  }

  /** Entries held in a summary's collections and maps. */
  private static int entries(SimRound.Summary s) {
    int n = 0;
    for (RecordComponent c : SimRound.Summary.class.getRecordComponents()) {
      try {
        Object v = c.getAccessor().invoke(s);
        if (v instanceof Collection<?> col) n += col.size();
        else if (v instanceof Map<?, ?> m) n += m.size();
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(e);
      }
    }
    return n;
  }
}
