package dev.fedgrid.bench;

import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.Optimizer;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.cli.DemoCommand;
import dev.fedgrid.cli.DemoData;
import dev.fedgrid.cli.LocalGrid;
import dev.fedgrid.client.ModelPresets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * End-to-end benchmark: federated training of an MLP (784-128-10) on Fashion-MNIST with real
 * gateway and node processes on loopback, the training images split between nodes with
 * Dirichlet(α) label skew, compared in the same run with a centralized baseline: one node holding
 * all 60,000 training images, trained with the same model, optimizer and number of rounds. Reports
 * test accuracy per round (federated evaluation on the 10,000 test images, split evenly), the
 * first round reaching the target, and seconds per round.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -cp "fedgrid-bench/target/fedgrid-bench-0.1.0-SNAPSHOT.jar:fedgrid-cli/target/fedgrid-cli.jar:fedgrid-cli/target/lib/*" \
 *     dev.fedgrid.bench.FashionMnistBenchmark [--nodes 5] [--alpha 0.5] [--rounds 30] [--target 0.85] [--lr 0.02] [--momentum 0.9] [--no-baseline]
 * </pre>
 *
 * Writes {@code fedgrid-bench/target/reports/fashion-mnist.md}. Exits 2 with a message saying how
 * to get Fashion-MNIST when the machine does not have it.
 */
public final class FashionMnistBenchmark {
  private FashionMnistBenchmark() {}

  record Run(String label, int nodes, List<RoundSummary> rounds, Duration wall, JobState state) {
    OptionalInt firstRoundReaching(double target) {
      for (RoundSummary r : rounds) {
        Double accuracy = r.evalMetrics().get("accuracy");
        if (accuracy != null && accuracy >= target) return OptionalInt.of(r.round());
      }
      return OptionalInt.empty();
    }

    double accuracy(int round) {
      return rounds.stream().filter(r -> r.round() == round).findFirst().map(r -> r.evalMetrics().getOrDefault("accuracy", Double.NaN)).orElse(Double.NaN);
    }

    double secondsPerRound() {
      return rounds.stream().mapToDouble(r -> Duration.between(r.startedAt(), r.finishedAt()).toMillis() / 1000.0).average().orElse(Double.NaN);
    }
  }

  public static void main(String[] args) throws Exception {
    int nodes = 5;
    double alpha = 0.5;
    int rounds = 30;
    double target = 0.85;
    boolean baseline = true;
    double lr = DemoCommand.FASHION_MNIST_TRAINING.learningRate();
    double momentum = DemoCommand.FASHION_MNIST_TRAINING.momentum();
    Path out = Path.of("fedgrid-bench/target/reports/fashion-mnist.md");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> nodes = Integer.parseInt(args[++i]);
        case "--alpha" -> alpha = Double.parseDouble(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--target" -> target = Double.parseDouble(args[++i]);
        case "--no-baseline" -> baseline = false;
        case "--lr" -> lr = Double.parseDouble(args[++i]);
        case "--momentum" -> momentum = Double.parseDouble(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        default -> {
          System.err.println("unknown option " + args[i] + "; see the class javadoc");
          System.exit(2);
        }
      }
    }
    Path source = DemoData.findFashionMnist().orElse(null);
    if (source == null) {
      System.err.println("Fashion-MNIST is not on this machine: install it with `apt-get install dataset-fashion-mnist` (Debian) or put the four IDX files in "
          + DemoData.FASHION_MNIST_DIRS.getFirst().toAbsolutePath().normalize() + "; benchmark skipped.");
      System.exit(2);
    }
    Path work = Files.createTempDirectory("fedgrid-fmnist-");
    var runs = new ArrayList<Run>();
    var training = new TrainingConfig(1, 32, Optimizer.SGD, lr, momentum, 42L);
    runs.add(run("FedAvg, " + nodes + " nodes, Dirichlet α = " + alpha, work.resolve("federated"), source, nodes,
        DemoData.Partition.parse("dirichlet:" + alpha, 42), rounds, training));
    if (baseline) {
      runs.add(run("centralized: 1 node with all the data", work.resolve("central"), source, 1, DemoData.Partition.parse("iid", 42), rounds, training));
    }

    String report = render(runs, training, rounds, target, String.join(" ", args));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report);
    System.out.println(report);
    System.out.println("Report written to " + out.toAbsolutePath());
  }

  private static Run run(String label, Path dir, Path source, int nodes, DemoData.Partition split, int rounds, TrainingConfig training)
      throws Exception {
    System.err.println("== " + label);
    List<Path> shards = DemoData.splitFashionMnist(source, dir.resolve("data"), nodes, split);
    try (LocalGrid grid = new LocalGrid(dir).startGateway()) {
      for (int i = 0; i < nodes; i++) grid.startNode("node-" + (i + 1), "name=fashion-mnist,path=" + shards.get(i) + ",format=idx");
      grid.awaitNodes(Duration.ofMinutes(5));
      DatasetInfo first = grid.client().datasets("fashion-mnist", null).getFirst();
      JobSpec spec = new JobSpec("MLP 784-128-10", List.of("fashion-mnist"), ModelPresets.preset("mlp:128", first), training,
          new StrategyConfig.FedAvg(), rounds, nodes, 600, true);
      long start = System.nanoTime();
      Job job = grid.client().submitJob(spec);
      int shown = 0;
      while (!job.state().isTerminal()) {
        Thread.sleep(500);
        job = grid.client().job(job.id());
        if (job.completedRounds() > shown) {
          shown = job.completedRounds();
          System.err.printf(Locale.ROOT, "  round %d/%d  accuracy %.4f%n", shown, rounds, job.metrics().getOrDefault("accuracy", Double.NaN));
        }
      }
      Duration wall = Duration.ofNanos(System.nanoTime() - start);
      if (job.state() != JobState.COMPLETED) System.err.println("  job ended " + job.state().wireName() + ": " + job.message() + grid.tails());
      return new Run(label, nodes, grid.client().rounds(job.id()), wall, job.state());
    }
  }

  static String render(List<Run> runs, TrainingConfig training, int rounds, double target, String args) {
    var md = new StringBuilder();
    md.append("# Fashion-MNIST, end to end\n\n");
    md.append("Measured ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE))
        .append(" (UTC) by `dev.fedgrid.bench.FashionMnistBenchmark").append(args.isEmpty() ? "" : " " + args).append("`.\n\n");
    md.append("Real gateway and node processes on loopback. Model: MLP 784-128-10 (ReLU), softmax cross-entropy. ");
    md.append("Local training per round: 1 epoch, batch ").append(training.batchSize()).append(", SGD with learning rate ").append(training.learningRate())
        .append(" and momentum ").append(training.momentum()).append("; FedAvg weighted by examples. ");
    md.append("Pixels scaled by 1/255. Test accuracy is federated evaluation of each round's global model on the 10,000 test images, split evenly between the nodes. ");
    md.append("The centralized baseline runs the same job on one node holding all 60,000 training images, so each of its rounds is one epoch over all the data.\n\n");
    md.append("## Machine\n\n| | |\n|---|---|\n").append(Machine.tableRows()).append('\n');
    md.append("## Summary\n\n| run | nodes | first round with accuracy ≥ ").append(target).append(" | accuracy after round ").append(rounds)
        .append(" | best accuracy | seconds per round | wall time (s) |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (Run run : runs) {
      double best = run.rounds().stream().mapToDouble(r -> r.evalMetrics().getOrDefault("accuracy", Double.NaN)).max().orElse(Double.NaN);
      md.append("| ").append(run.label()).append(run.state() == JobState.COMPLETED ? "" : " (" + run.state().wireName() + ")")
          .append(" | ").append(run.nodes())
          .append(" | ").append(run.firstRoundReaching(target).stream().mapToObj(String::valueOf).findFirst().orElse("not reached"))
          .append(" | ").append(String.format(Locale.ROOT, "%.4f", run.accuracy(rounds)))
          .append(" | ").append(String.format(Locale.ROOT, "%.4f", best))
          .append(" | ").append(String.format(Locale.ROOT, "%.2f", run.secondsPerRound()))
          .append(" | ").append(String.format(Locale.ROOT, "%.0f", run.wall().toMillis() / 1000.0)).append(" |\n");
    }
    md.append("\n## Accuracy per round\n\n| round |");
    for (Run run : runs) md.append(' ').append(run.label()).append(" |");
    md.append("\n|---:|");
    runs.forEach(r -> md.append("---:|"));
    md.append('\n');
    for (int round = 1; round <= rounds; round++) {
      md.append("| ").append(round).append(" |");
      for (Run run : runs) md.append(String.format(Locale.ROOT, " %.4f |", run.accuracy(round)));
      md.append('\n');
    }
    return md.toString();
  }
}
