package dev.fedgrid.bench;

import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.bench.FashionMnistSim.Run;
import dev.fedgrid.bench.FashionMnistSim.Split;
import dev.fedgrid.ml.DjlTrainingEngine;
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
 * Accuracy of the federated strategies on Fashion-MNIST, through the simulator: 10 nodes with
 * Dirichlet(0.5) label skew, FedAvg vs FedProx (μ 0.01) vs FedAdam (server η 0.01), MLP
 * 784-128-10, a rounds-to-target table (0.85 / 0.87 / 0.88 / 0.90) and the final accuracy. Local
 * training is {@link FashionMnistBenchmark}'s (batch 32, SGD lr 0.02, momentum 0.9) with 5 local
 * epochs (E = 5 as in McMahan et al. 2017): with the end-to-end benchmark's single epoch, 10 nodes each
 * holding a tenth of the data stay below the issue's 0.87 after 30 rounds, so that setting is kept
 * as one contrast row (FedAvg, {@code --contrast-epochs}, 0 leaves it out). In the same run, the
 * contrast of McMahan et al. 2017 for FedAvg: the same 10 nodes with IID data and with pathological
 * shards of 2 classes per node. FedAvg also trains the {@code cnn} preset on the Dirichlet split
 * with {@code --cnn-epochs} (default 1, since a CNN epoch takes about ten times an MLP epoch on 2
 * cores; {@code --no-cnn} leaves it out); FedProx and FedAdam train it only with {@code --cnn-all}
 * (see docs/benchmarks.md).
 *
 * <pre>
 *   java -XX:ActiveProcessorCount=2 --enable-native-access=ALL-UNNAMED \
 *     -cp "fedgrid-bench/target/fedgrid-bench-0.1.0-SNAPSHOT.jar:fedgrid-cli/target/fedgrid-cli.jar:fedgrid-cli/target/lib/*" \
 *     dev.fedgrid.bench.AccuracyBenchmark [--rounds 30] [--nodes 10] [--alpha 0.5] [--server-lr 0.01] [--engines 2] [--no-cnn | --cnn-all] [--cnn-rounds 30] \
 *       [--epochs 5] [--contrast-epochs 1] [--cnn-epochs 1] [--lr 0.02] [--momentum 0.9] [--fedavg-only] [--strategies fedavg,fedprox,fedadam] [--no-contrast]
 * </pre>
 *
 * {@code --fedavg-only} runs FedAvg MLP on the Dirichlet split alone (no contrast, no CNN), for
 * sweeps of the local training options; {@code --strategies fedadam} (a comma-separated subset of
 * fedavg, fedprox, fedadam) runs only those, for sweeps of {@code --server-lr}; {@code
 * --no-contrast} leaves out the IID and shards runs, which are FedAvg's contrast and belong with a
 * run whose first strategy is FedAvg.
 * Writes {@code fedgrid-bench/target/reports/accuracy.md}. Exits 2 with a message saying how to get
 * Fashion-MNIST when the machine does not have it.
 */
public final class AccuracyBenchmark {
  /** The issue's targets (0.85 / 0.88 / 0.90) and its done-when, FedAvg MLP ≥ 0.87 within 30 rounds. */
  static final double[] TARGETS = {0.85, 0.87, 0.88, 0.90};

  private AccuracyBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = 30;
    int nodes = 10;
    double alpha = 0.5;
    double serverLr = 0.01;
    int engines = Runtime.getRuntime().availableProcessors();
    int cnnStrategies = 1;
    Integer cnnRounds = null;
    boolean fedavgOnly = false;
    List<String> chosen = List.of("fedavg", "fedprox", "fedadam");
    int epochs = 5;
    int contrastEpochs = FashionMnistSim.TRAINING.epochs();
    int cnnEpochs = FashionMnistSim.TRAINING.epochs();
    boolean splitContrast = true;
    double lr = FashionMnistSim.TRAINING.learningRate();
    double momentum = FashionMnistSim.TRAINING.momentum();
    Path out = Path.of("fedgrid-bench/target/reports/accuracy.md");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--nodes" -> nodes = Integer.parseInt(args[++i]);
        case "--alpha" -> alpha = Double.parseDouble(args[++i]);
        case "--server-lr" -> serverLr = Double.parseDouble(args[++i]);
        case "--engines" -> engines = Integer.parseInt(args[++i]);
        case "--no-cnn" -> cnnStrategies = 0;
        case "--cnn-all" -> cnnStrategies = 3;
        case "--cnn-rounds" -> cnnRounds = Integer.parseInt(args[++i]);
        case "--epochs" -> epochs = Integer.parseInt(args[++i]);
        case "--lr" -> lr = Double.parseDouble(args[++i]);
        case "--momentum" -> momentum = Double.parseDouble(args[++i]);
        case "--contrast-epochs" -> contrastEpochs = Integer.parseInt(args[++i]);
        case "--cnn-epochs" -> cnnEpochs = Integer.parseInt(args[++i]);
        case "--fedavg-only" -> fedavgOnly = true;
        case "--strategies" -> chosen = List.of(args[++i].toLowerCase(java.util.Locale.ROOT).split(","));
        case "--no-contrast" -> splitContrast = false;
        case "--out" -> out = Path.of(args[++i]);
        default -> {
          System.err.println("unknown option " + args[i] + "; see the class javadoc");
          System.exit(2);
        }
      }
    }
    var training = FashionMnistSim.training(epochs, lr, momentum);
    if (fedavgOnly) {
      cnnStrategies = 0;
      contrastEpochs = 0;
      splitContrast = false;
    }
    if (fedavgOnly) chosen = List.of("fedavg");
    var strategies = new ArrayList<Named>();
    for (String name : chosen) {
      strategies.add(switch (name.strip()) {
        case "fedavg" -> new Named("FedAvg", new StrategyConfig.FedAvg());
        case "fedprox" -> new Named("FedProx (μ 0.01)", new StrategyConfig.FedProx(0.01));
        case "fedadam" -> new Named("FedAdam (η " + serverLr + ")", new StrategyConfig.FedAdam(serverLr, null, null, null));
        default -> {
          System.err.println("--strategies takes fedavg, fedprox and fedadam, comma-separated, not '" + name + "'");
          System.exit(2);
          yield null;
        }
      });
    }
    cnnStrategies = Math.min(cnnStrategies, strategies.size());
    Split dirichlet = Split.dirichlet(alpha);
    var main = new ArrayList<Run>();
    var contrast = new ArrayList<Run>();
    long start = System.nanoTime();
    try (var engine = DjlTrainingEngine.create(engines)) {
      var sim = FashionMnistSim.load(engine, training);
      ModelSpec mlp = sim.model("mlp:128");
      for (Named s : strategies) main.add(sim.run(s.name() + ", MLP", mlp, s.config(), dirichlet, nodes, rounds, FaultPlan.none()));
      if (contrastEpochs > 0 && contrastEpochs != epochs) {
        var contrastTraining = FashionMnistSim.training(contrastEpochs, lr, momentum);
        main.add(sim.run("FedAvg, MLP, " + epochs(contrastEpochs), mlp, new StrategyConfig.FedAvg(), dirichlet, nodes, rounds, FaultPlan.none(), contrastTraining));
      }
      if (cnnStrategies > 0) {
        ModelSpec cnnModel = sim.model("cnn");
        var cnnTraining = FashionMnistSim.training(cnnEpochs, lr, momentum);
        int r = cnnRounds != null ? cnnRounds : rounds;
        String suffix = cnnEpochs == epochs ? "" : ", " + epochs(cnnEpochs);
        for (Named s : strategies.subList(0, cnnStrategies)) {
          main.add(sim.run(s.name() + ", CNN" + suffix, cnnModel, s.config(), dirichlet, nodes, r, FaultPlan.none(), cnnTraining));
        }
      }
      contrast.add(main.getFirst());
      if (splitContrast) {
        contrast.add(sim.run("FedAvg, MLP, IID", mlp, new StrategyConfig.FedAvg(), Split.IID, nodes, rounds, FaultPlan.none()));
        contrast.add(sim.run("FedAvg, MLP, 2 classes per node", mlp, new StrategyConfig.FedAvg(), Split.shards(2), nodes, rounds, FaultPlan.none()));
      }
    }
    long seconds = (System.nanoTime() - start) / 1_000_000_000;
    String report = render(main, contrast, nodes, dirichlet, training, engines, seconds, String.join(" ", args));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report);
    System.out.println(report);
    System.out.println("Report written to " + out.toAbsolutePath());
  }

  record Named(String name, StrategyConfig config) {}

  private static String epochs(int n) {
    return n + (n == 1 ? " local epoch" : " local epochs");
  }

  static String render(List<Run> main, List<Run> contrast, int nodes, Split split, TrainingConfig training, int engines, long seconds, String args) {
    var md = new StringBuilder();
    md.append("# Accuracy: FedAvg, FedProx and FedAdam on Fashion-MNIST\n\n");
    md.append("Measured ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE))
        .append(" (UTC) by `dev.fedgrid.bench.AccuracyBenchmark").append(args.isEmpty() ? "" : " " + args).append("` (").append(seconds).append(" s).\n\n");
    md.append("Simulator (`fedgrid sim`'s code path: the gateway's round driver and strategies over the in-memory fleet), ").append(nodes)
        .append(" nodes, all of them in every round, training shared by ").append(engines).append(" DJL engine(s). ");
    md.append("Training images split with ").append(split).append(" (seed ").append(FashionMnistSim.SEED).append("). ");
    md.append("Local training per round (unless the run's label says otherwise): ").append(epochs(training.epochs())).append(", batch ").append(training.batchSize()).append(", SGD lr ")
        .append(training.learningRate()).append(", momentum ").append(training.momentum()).append(". Pixels scaled by 1/255. ");
    md.append("MLP: 784-128-10 (`mlp:128`); CNN: the `cnn` preset (conv 32 3×3, max-pool, conv 64 3×3, max-pool, dense 128, dense 10). ");
    md.append("Accuracy: the global model after each round on all 10,000 test images.\n\n");
    md.append("## Machine\n\n| | |\n|---|---|\n").append(Machine.tableRows()).append('\n');
    md.append("## Rounds to target (").append(split).append(")\n\n");
    table(md, main);
    if (contrast.size() > 1) {
      md.append("\n## IID vs pathological non-IID (McMahan et al. 2017), FedAvg MLP\n\n");
      table(md, contrast);
    }
    md.append("\n## Accuracy per round\n\n| round |");
    var all = new ArrayList<Run>(main);
    all.addAll(contrast.subList(1, contrast.size()));
    for (Run run : all) md.append(' ').append(run.label()).append(" |");
    md.append("\n|---:|");
    all.forEach(r -> md.append("---:|"));
    md.append('\n');
    int most = all.stream().mapToInt(r -> r.accuracy().length).max().orElse(0);
    for (int round = 1; round <= most; round++) {
      md.append("| ").append(round).append(" |");
      for (Run run : all) md.append(' ').append(FashionMnistSim.accuracy(round <= run.accuracy().length ? run.accuracy()[round - 1] : Double.NaN)).append(" |");
      md.append('\n');
    }
    return md.toString();
  }

  private static void table(StringBuilder md, List<Run> runs) {
    md.append("| run |");
    for (double t : TARGETS) md.append(String.format(Locale.ROOT, " first round ≥ %.2f |", t));
    md.append(" final accuracy | best | rounds | s per round |\n|---|");
    for (double ignored : TARGETS) md.append("---:|");
    md.append("---:|---:|---:|---:|\n");
    for (Run run : runs) {
      md.append("| ").append(run.label()).append(" |");
      for (double t : TARGETS) md.append(' ').append(run.firstRoundReaching(t).stream().mapToObj(String::valueOf).findFirst().orElse("—")).append(" |");
      md.append(' ').append(FashionMnistSim.accuracy(run.last())).append(" | ").append(FashionMnistSim.accuracy(run.best())).append(" | ").append(run.completed())
          .append(String.format(Locale.ROOT, " | %.2f |%n", run.secondsPerRound()));
    }
  }
}
