package dev.fedgrid.bench;

import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.bench.FashionMnistSim.Run;
import dev.fedgrid.bench.FashionMnistSim.Split;
import dev.fedgrid.ml.DjlTrainingEngine;
import dev.fedgrid.sim.Attack;
import dev.fedgrid.sim.FaultPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Robustness of the aggregation rules to Byzantine nodes on Fashion-MNIST, through the simulator:
 * 10 nodes with IID data, 2 of them (20 %) Byzantine, attacking every update with sign-flip and, in
 * a second set of runs, scale ×10; FedAvg vs Krum vs Multi-Krum (both tolerating f = 2) vs trimmed
 * mean (β 0.2: 2 of 10 values cut from each end) vs coordinate-wise median. MLP 784-128-10, local
 * training as {@link FashionMnistBenchmark}'s. Baseline in the same run: FedAvg with no attackers.
 * Reports the test accuracy after the last round and the best of any round.
 *
 * <pre>
 *   java -XX:ActiveProcessorCount=2 --enable-native-access=ALL-UNNAMED \
 *     -cp "fedgrid-bench/target/fedgrid-bench-0.1.0-SNAPSHOT.jar:fedgrid-cli/target/fedgrid-cli.jar:fedgrid-cli/target/lib/*" \
 *     dev.fedgrid.bench.RobustnessBenchmark [--rounds 20] [--nodes 10] [--byzantine 2] [--attacks sign-flip,scale:10] [--engines 2]
 * </pre>
 *
 * Writes {@code fedgrid-bench/target/reports/robustness.md}. Exits 2 with a message saying how to
 * get Fashion-MNIST when the machine does not have it.
 */
public final class RobustnessBenchmark {
  private RobustnessBenchmark() {}

  record Row(String strategy, String attack, Run run) {}

  public static void main(String[] args) throws Exception {
    int rounds = 20;
    int nodes = 10;
    int byzantine = 2;
    List<String> attacks = List.of("sign-flip", "scale:10");
    int engines = Runtime.getRuntime().availableProcessors();
    Path out = Path.of("fedgrid-bench/target/reports/robustness.md");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--nodes" -> nodes = Integer.parseInt(args[++i]);
        case "--byzantine" -> byzantine = Integer.parseInt(args[++i]);
        case "--attacks" -> attacks = List.of(args[++i].split(","));
        case "--engines" -> engines = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        default -> {
          System.err.println("unknown option " + args[i] + "; see the class javadoc");
          System.exit(2);
        }
      }
    }
    var strategies = List.of(
        new AccuracyBenchmark.Named("FedAvg", new StrategyConfig.FedAvg()),
        new AccuracyBenchmark.Named("Krum (f " + byzantine + ")", new StrategyConfig.Krum(byzantine)),
        new AccuracyBenchmark.Named("Multi-Krum (f " + byzantine + ", m " + (nodes - byzantine) + ")", new StrategyConfig.MultiKrum(byzantine, null)),
        new AccuracyBenchmark.Named("trimmed mean (β 0.2)", new StrategyConfig.FedTrimmedAvg(0.2)),
        new AccuracyBenchmark.Named("median", new StrategyConfig.FedMedian()));
    var rows = new ArrayList<Row>();
    long start = System.nanoTime();
    try (var engine = DjlTrainingEngine.create(engines)) {
      var sim = FashionMnistSim.load(engine, FashionMnistSim.TRAINING);
      var mlp = sim.model("mlp:128");
      rows.add(new Row("FedAvg", "none (baseline)", sim.run("FedAvg, no attack", mlp, new StrategyConfig.FedAvg(), Split.IID, nodes, rounds, FaultPlan.none())));
      for (String a : attacks) {
        Attack attack = Attack.parse(a);
        var faults = new FaultPlan(0, 0, 0, byzantine / (double) nodes, attack, nodes, FashionMnistSim.SEED);
        for (var s : strategies) {
          rows.add(new Row(s.name(), attack.toString(), sim.run(s.name() + ", " + attack, mlp, s.config(), Split.IID, nodes, rounds, faults)));
        }
      }
    }
    long seconds = (System.nanoTime() - start) / 1_000_000_000;
    String report = render(rows, nodes, byzantine, rounds, engines, seconds, String.join(" ", args));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report);
    System.out.println(report);
    System.out.println("Report written to " + out.toAbsolutePath());
  }

  static String render(List<Row> rows, int nodes, int byzantine, int rounds, int engines, long seconds, String args) {
    var md = new StringBuilder();
    md.append("# Robustness: ").append(byzantine).append(" Byzantine nodes of ").append(nodes).append(" on Fashion-MNIST\n\n");
    md.append("Measured ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE))
        .append(" (UTC) by `dev.fedgrid.bench.RobustnessBenchmark").append(args.isEmpty() ? "" : " " + args).append("` (").append(seconds).append(" s).\n\n");
    md.append("Simulator (`fedgrid sim`'s code path: the gateway's round driver and strategies over the in-memory fleet), ").append(nodes)
        .append(" nodes with IID data, all of them in every round, training shared by ").append(engines).append(" DJL engine(s). ");
    md.append(byzantine).append(" nodes, drawn from seed ").append(FashionMnistSim.SEED)
        .append(", are Byzantine and attack every update u = local − global they send: sign-flip sends global − u, scale:10 sends global + 10 u. ");
    md.append("MLP 784-128-10; local training per round: 1 epoch, batch 32, SGD lr 0.02, momentum 0.9. Pixels scaled by 1/255. ");
    md.append("Accuracy: the global model on all 10,000 test images; final is after round ").append(rounds).append(", best is the best of any round.\n\n");
    md.append("## Machine\n\n| | |\n|---|---|\n").append(Machine.tableRows()).append('\n');
    md.append("## Final accuracy\n\n| strategy | attack | final accuracy | best | rounds | s per round |\n|---|---|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      md.append("| ").append(r.strategy()).append(" | ").append(r.attack()).append(" | ").append(FashionMnistSim.accuracy(r.run().last())).append(" | ")
          .append(FashionMnistSim.accuracy(r.run().best())).append(" | ").append(r.run().completed())
          .append(String.format(Locale.ROOT, " | %.2f |%n", r.run().secondsPerRound()));
    }
    md.append("\n## Accuracy per round\n\n| round |");
    for (Row r : rows) md.append(' ').append(r.run().label()).append(" |");
    md.append("\n|---:|");
    rows.forEach(r -> md.append("---:|"));
    md.append('\n');
    for (int round = 1; round <= rounds; round++) {
      md.append("| ").append(round).append(" |");
      for (Row r : rows) {
        double[] a = r.run().accuracy();
        md.append(' ').append(FashionMnistSim.accuracy(round <= a.length ? a[round - 1] : Double.NaN)).append(" |");
      }
      md.append('\n');
    }
    return md.toString();
  }
}
