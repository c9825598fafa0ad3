package dev.fedgrid.bench;

import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.ml.CsvDatasetReader;
import dev.fedgrid.ml.CsvOptions;
import dev.fedgrid.ml.DjlTrainingEngine;
import dev.fedgrid.ml.LocalDataset;
import dev.fedgrid.sim.CsvSimulation;
import dev.fedgrid.sim.FaultPlan;
import dev.fedgrid.sim.Population;
import dev.fedgrid.sim.SimRound;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Scale of the simulator: a population of 1,000,000 virtual clients with 10,000 sampled per round
 * (Poisson sampling, q = 0.01), logistic regression on the breast-cancer CSV split by label skew
 * (Dirichlet α = 0.5) with each client's 16 rows derived lazily from the seed, FedAvg, every
 * sampled client evaluating on 16 test rows; an untimed warm-up runs first. Per round it records the wall time, the heap in use
 * after a full collection, the updates and the evaluation accuracy.
 *
 * <p>Baselines in the same run, same data, model and engines: 1,000 clients with 100 per round, and
 * 1,000,000 clients with 100 per round. The first pair differs only in the population (x1000) and
 * shows that memory and time do not grow with it; the second pair differs only in the sampled
 * count (x100) and shows that a round's cost follows the clients that train.
 *
 * <pre>
 *   java -Xmx8g -XX:ActiveProcessorCount=2 --enable-native-access=ALL-UNNAMED \
 *     -cp "fedgrid-bench/target/fedgrid-bench-0.1.0-SNAPSHOT.jar:fedgrid-cli/target/fedgrid-cli.jar:fedgrid-cli/target/lib/*" \
 *     dev.fedgrid.bench.SimScaleBenchmark [--rounds 5] [--population 1000000] [--per-round 10000] [--engines 2] [--no-baseline]
 * </pre>
 *
 * Writes {@code fedgrid-bench/target/reports/sim-scale.md}; run from the repository root (it reads
 * {@code data/breast_cancer_wisconsin.csv}).
 */
public final class SimScaleBenchmark {
  private static final int ROWS_PER_CLIENT = 16;
  private static final int EVAL_ROWS = 16;
  private static final long SEED = 42;

  private SimScaleBenchmark() {}

  /**
   * One round as measured: its simulator summary (no per-client data, so that this benchmark keeps
   * no more than the simulation does) and the heap in use after a full collection.
   */
  record Measured(SimRound.Summary round, long heapAfterGc) {}

  record Config(String label, int population, int perRound) {}

  record Result(Config config, long heapBeforeGc, List<Measured> rounds) {
    double medianSeconds() {
      return Stats.median(rounds.stream().mapToDouble(m -> m.round().wallMillis() / 1000.0).toArray());
    }

    double meanUpdates() {
      return rounds.stream().mapToInt(m -> m.round().updates()).average().orElse(Double.NaN);
    }

    long maxHeap() {
      return rounds.stream().mapToLong(Measured::heapAfterGc).max().orElse(0);
    }
  }

  public static void main(String[] args) throws Exception {
    int rounds = 5;
    int population = 1_000_000;
    int perRound = 10_000;
    int engines = Runtime.getRuntime().availableProcessors();
    boolean baseline = true;
    Path out = Path.of("fedgrid-bench/target/reports/sim-scale.md");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--population" -> population = Integer.parseInt(args[++i]);
        case "--per-round" -> perRound = Integer.parseInt(args[++i]);
        case "--engines" -> engines = Integer.parseInt(args[++i]);
        case "--no-baseline" -> baseline = false;
        case "--out" -> out = Path.of(args[++i]);
        default -> {
          System.err.println("unknown option " + args[i] + "; see the class javadoc");
          System.exit(2);
        }
      }
    }
    LocalDataset data = CsvDatasetReader.read(Path.of("data/breast_cancer_wisconsin.csv"), CsvOptions.of("breast-cancer", "benign"));
    var configs = new ArrayList<Config>();
    if (baseline) {
      configs.add(new Config("baseline: small population", 1_000, 100));
      configs.add(new Config("baseline: large population, small sample", population, 100));
    }
    configs.add(new Config("target", population, perRound));
    long start;
    var results = new ArrayList<Result>();
    try (var engine = DjlTrainingEngine.create(engines)) {
      run(new Config("warm-up (not reported)", 1_000, 100), data, 3, engine); // JIT and PyTorch warm-up
      start = System.nanoTime();
      for (Config c : configs) results.add(run(c, data, rounds, engine));
    }
    long seconds = (System.nanoTime() - start) / 1_000_000_000;
    String report = render(results, data, engines, seconds, String.join(" ", args));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report);
    System.out.println(report);
    System.out.println("Report written to " + out.toAbsolutePath());
  }

  private static Result run(Config c, LocalDataset data, int rounds, DjlTrainingEngine engine) throws InterruptedException {
    System.err.printf(Locale.ROOT, "== %s: %,d clients, %,d per round%n", c.label(), c.population(), c.perRound());
    var spec = new JobSpec("sim-scale", List.of("breast-cancer"), ModelSpec.logisticRegression(), new TrainingConfig(1, 16, null, 0.1, null, SEED),
        new StrategyConfig.FedAvg(), rounds, 2, 300, true, null, null, c.perRound() / (double) c.population());
    long before = heapAfterGc();
    var sim = CsvSimulation.of(spec, data, Population.Split.DIRICHLET, 0.5, 2, ROWS_PER_CLIENT, c.population(), FaultPlan.none(), engine, EVAL_ROWS, SEED);
    var measured = new ArrayList<Measured>();
    sim.run(r -> {
      long heap = heapAfterGc();
      measured.add(new Measured(r.summary(), heap));
      System.err.printf(Locale.ROOT, "  round %d: %s, %,d updates, %.2f s, heap after GC %.1f MB, accuracy %.4f%n", r.round(), r.outcome(), r.updates(),
          r.wallMillis() / 1000.0, heap / 1048576.0, r.evalMetrics().getOrDefault("accuracy", Double.NaN));
    });
    return new Result(c, before, measured);
  }

  private static long heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static String render(List<Result> results, LocalDataset data, int engines, long seconds, String args) {
    var md = new StringBuilder();
    md.append("# Simulator scale\n\n");
    md.append("Measured ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE))
        .append(" (UTC) by `dev.fedgrid.bench.SimScaleBenchmark").append(args.isEmpty() ? "" : " " + args).append("` (").append(seconds).append(" s).\n\n");
    md.append("One JVM, the gateway's round driver and FedAvg over the simulator's in-memory fleet (`fedgrid sim`'s code path). ");
    md.append("Logistic regression on the breast-cancer CSV (").append(data.train().rows()).append(" training rows, ").append(data.test().rows())
        .append(" test rows, ").append(data.train().width()).append(" features, standardized with pooled statistics); every client holds ").append(ROWS_PER_CLIENT)
        .append(" training rows drawn lazily from the seed with Dirichlet(0.5) label skew (clients share rows: there are far more clients than rows), ");
    md.append("trains 1 epoch (batch 16, SGD lr 0.1) and evaluates the new global model on ").append(EVAL_ROWS).append(" test rows. ");
    md.append("Clients are Poisson-sampled with q = per round / population, so the sampled count varies around its mean. ");
    md.append("Training shares ").append(engines).append(" DJL engine(s). ");
    md.append("Heap: in use right after `System.gc()`, taken after each round; \"before\" is before the simulation was built. ");
    md.append("The simulation keeps only summary figures of past rounds (no per-client contributions or failures), so heap after GC should not grow with the rounds. ");
    md.append("Wall time per round includes sampling, training, evaluation and aggregation; an untimed warm-up (1,000 clients, 100 per round, 3 rounds) runs first.\n\n");
    md.append("Baselines: the small population (1,000 clients, 100 per round) against the large one with the same 100 per round isolates the population's cost; ");
    md.append("the large population at 100 against the target's sample isolates the cost of the sampled count.\n\n");
    md.append("## Machine\n\n| | |\n|---|---|\n").append(Machine.tableRows());
    md.append("| heap | ").append(Runtime.getRuntime().maxMemory() / 1048576).append(" MiB max |\n\n");
    md.append("## Summary\n\n| run | population | per round (mean) | updates per round (mean) | median s per round | ms per update | heap before (MB) | max heap after GC (MB) | final accuracy |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result r : results) {
      double updates = r.meanUpdates();
      md.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,.0f | %.2f | %.3f | %.1f | %.1f | %.4f |%n", r.config().label(), r.config().population(),
          r.config().perRound(), updates, r.medianSeconds(), r.medianSeconds() * 1000 / updates, r.heapBeforeGc() / 1048576.0, r.maxHeap() / 1048576.0,
          r.rounds().isEmpty() ? Double.NaN : r.rounds().getLast().round().evalMetrics().getOrDefault("accuracy", Double.NaN)));
    }
    md.append("\n## Per round\n\n| run | round | outcome | sampled | updates | wall (s) | heap after GC (MB) | accuracy |\n|---|---:|---|---:|---:|---:|---:|---:|\n");
    for (Result r : results) {
      for (Measured m : r.rounds()) {
        SimRound.Summary s = m.round();
        md.append(String.format(Locale.ROOT, "| %s | %d | %s | %,d | %,d | %.2f | %.1f | %.4f |%n", r.config().label(), s.round(), s.outcome(), s.sampled(),
            s.updates(), s.wallMillis() / 1000.0, m.heapAfterGc() / 1048576.0, s.evalMetrics().getOrDefault("accuracy", Double.NaN)));
      }
    }
    return md.toString();
  }
}
