package dev.fedgrid.cli;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.ml.CsvDatasetReader;
import dev.fedgrid.ml.CsvOptions;
import dev.fedgrid.ml.DjlTrainingEngine;
import dev.fedgrid.ml.IdxDatasetReader;
import dev.fedgrid.ml.IdxOptions;
import dev.fedgrid.ml.LocalDataset;
import dev.fedgrid.sim.Attack;
import dev.fedgrid.sim.CsvSimulation;
import dev.fedgrid.sim.FaultPlan;
import dev.fedgrid.sim.Population;
import dev.fedgrid.sim.SimReport;
import dev.fedgrid.sim.SimRound;
import dev.fedgrid.sim.Simulation;
import dev.fedgrid.sim.VirtualNodes;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fedgrid sim}: a job run with a population of virtual nodes in this JVM, through the same
 * round driver, strategies and DP code as a grid ({@link Simulation}). The job is described by the
 * options {@code fedgrid job submit} takes ({@link JobOptions}); the data is one local CSV file or
 * IDX directory, split between the virtual nodes.
 */
@Command(
    name = "sim",
    sortOptions = false,
    description = {
      "Simulate a job with many virtual nodes in this process: the grid's strategies, aggregation and DP on",
      "local data split between the nodes, with seeded drop-outs, stragglers and Byzantine nodes. Time is",
      "virtual (a straggler costs no real time); training shares --engines engines. One line per round on",
      "stderr; rounds.csv, results.json and plot.svg in --out. --model and the strategy, DP and training",
      "options are those of `fedgrid job submit`; --seed also draws the sample, the partition and the faults."
    },
    footer = {
      "",
      "Example:",
      "  fedgrid sim --data data/breast_cancer_wisconsin.csv --label benign --model logistic \\",
      "      --nodes 1000 --per-round 50 --partition dirichlet:0.5 --rounds 20 \\",
      "      --byzantine 100 --attack sign-flip --strategy fedmedian --out sim-median",
      "  fedgrid sim --data fashion-mnist --model mlp:128 --nodes 100 --per-round 10 --lr 0.02 --momentum 0.9"
    })
final class SimCommand implements Callable<Integer> {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "PATH",
      description = "A CSV file (with --label), a directory of IDX files (train-images-idx3-ubyte[.gz], ...), or fashion-mnist to use the copy `fedgrid demo` finds. Required.")
  String data;

  @Option(names = "--label", paramLabel = "COLUMN", description = "The CSV column to predict. Required for a CSV file; IDX data has its own labels. Default: none.")
  String label;

  @Option(names = "--nodes", paramLabel = "N", defaultValue = "100", description = "Virtual nodes in the population. Default: ${DEFAULT-VALUE}.")
  int nodes;

  @Option(names = "--per-round", paramLabel = "K",
      description = "Nodes asked to train per round on average: --sample-fraction K/N (Poisson sampling). Default: --sample-fraction.")
  Integer perRound;

  @Option(names = "--partition", paramLabel = "SPLIT", defaultValue = "iid",
      description = "How training rows are split: iid, dirichlet:ALPHA (label skew), shards:K (K label-sorted shards per node) or quantity[:ALPHA] (quantity skew: node sizes from a Dirichlet(ALPHA) draw, IID rows; smaller ALPHA, more skew; default ALPHA " + Split.QUANTITY_ALPHA + "). With more nodes than rows each node draws its rows lazily from the seed. Default: ${DEFAULT-VALUE}.")
  String partition;

  @Option(names = "--rows-per-node", paramLabel = "N", defaultValue = "16",
      description = "Training rows each node draws when there are more nodes than training rows (nodes then share rows). Default: ${DEFAULT-VALUE}.")
  int rowsPerNode;

  @Option(names = "--eval-rows", paramLabel = "N", defaultValue = "32",
      description = "Test rows each sampled node evaluates the new global model on (0: no evaluation). Default: ${DEFAULT-VALUE}.")
  int evalRows;

  @Mixin JobOptions options;

  @Option(names = "--tolerate", paramLabel = "F",
      description = "Faulty nodes krum, multikrum and bulyan tolerate per round. Default: the Byzantine nodes expected in a round's sample, rounded up.")
  Integer tolerate;

  @Option(names = "--dropout", paramLabel = "P", defaultValue = "0",
      description = "Probability in [0, 1) that a sampled node goes silent in a round; the round fails it as offline. Default: ${DEFAULT-VALUE}.")
  double dropout;

  @Option(names = "--stragglers", paramLabel = "P", defaultValue = "0",
      description = "Probability in [0, 1] that a sampled node's results arrive --straggler-delay late. Default: ${DEFAULT-VALUE}.")
  double stragglers;

  @Option(names = "--straggler-delay", paramLabel = "DURATION", defaultValue = "30s", converter = JobCommand.DurationConverter.class,
      description = "Virtual delay of a straggler; at or past --round-timeout its update is lost. Default: ${DEFAULT-VALUE}.")
  Duration stragglerDelay;

  @Option(names = "--secagg-dropout", paramLabel = "P", defaultValue = "0",
      description = "With --secure-aggregation: probability in [0, 1) that a sampled node dies after sharing its SecAgg+ keys, before its masked input, so the round must recover its masking key. Default: ${DEFAULT-VALUE}.")
  double secaggDropout;

  @Option(names = "--byzantine", paramLabel = "N", defaultValue = "0",
      description = "Byzantine nodes in the population, drawn from the seed; they attack every update they send. Default: ${DEFAULT-VALUE}.")
  int byzantine;

  @Option(names = "--attack", paramLabel = "ATTACK", defaultValue = "sign-flip",
      description = "What Byzantine nodes send: sign-flip (global - update), scale:F (global + F x update) or noise:SIGMA (their model plus Gaussian noise). Default: ${DEFAULT-VALUE}.")
  String attack;

  @Option(names = "--engines", paramLabel = "K",
      description = "Training engines the nodes share (tasks training at once). Default: the available cores.")
  Integer engines;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "sim-results",
      description = "Directory for rounds.csv, results.json and plot.svg. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Option(names = "--json", description = "Print a JSON summary (files, rounds, final metrics) instead of text. Default: false.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    var cl = spec.commandLine();
    if (nodes < 1) throw new ParameterException(cl, "--nodes must be at least 1, got " + nodes);
    Double q = options.sampleFraction;
    if (perRound != null) {
      if (q != null) throw new ParameterException(cl, "give --per-round or --sample-fraction, not both");
      if (perRound < 1 || perRound > nodes) throw new ParameterException(cl, "--per-round must be between 1 and --nodes (" + nodes + "), got " + perRound);
      q = perRound / (double) nodes;
    }
    if (byzantine < 0 || byzantine >= nodes) throw new ParameterException(cl, "--byzantine must be between 0 and --nodes - 1 (" + (nodes - 1) + "), got " + byzantine);
    if (tolerate != null && !options.toleratesFaults()) throw new ParameterException(cl, "--tolerate applies to krum, multikrum and bulyan, not " + options.strategy);
    Integer f = !options.toleratesFaults() ? null : tolerate != null ? tolerate : (int) Math.ceil(byzantine * (q == null ? 1 : q));
    Split split = Split.parse(cl, partition);
    FaultPlan faults;
    try {
      faults = new FaultPlan(dropout, stragglers, (int) stragglerDelay.toSeconds(), byzantine / (double) nodes, Attack.parse(attack), nodes, seed());
      if (secaggDropout != 0) {
        if (options.secureAggregation == null) throw new ParameterException(cl, "--secagg-dropout applies only with --secure-aggregation secagg+");
        faults = faults.withSecAggDropout(secaggDropout);
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(cl, e.getMessage());
    }
    Path source = source(cl);
    LocalDataset dataset = read(cl, source);
    var info = new DatasetInfo(DatasetId.random(), VirtualNodes.id(0), dataset.metadata(), Instant.EPOCH);
    JobSpec job = options.spec(cl, "sim " + dataset.metadata().name() + " " + options.model.strip(), List.of(dataset.metadata().name()), f, q, () -> info);
    if (idx(source)) job = withPixelScaling(job);

    PrintStream err = FedGridCommand.of(spec).err();
    PrintStream stdout = FedGridCommand.of(spec).out();
    int parallelism = engines != null ? engines : Runtime.getRuntime().availableProcessors();
    if (parallelism < 1) throw new ParameterException(cl, "--engines must be at least 1, got " + parallelism);
    err.printf(Locale.ROOT, "simulating %d rounds: %d nodes (%s), %s per round, %s; %s; %d engine(s)%n", job.rounds(), nodes, split.describe(),
        perRound != null ? "about " + perRound : q == null ? "every node" : "each with probability " + q, describe(job), faults, parallelism);
    List<SimRound.Summary> rounds;
    List<Path> files;
    // each round's rows go to the files as it ends: the simulation keeps no per-client detail of past rounds
    try (var engine = DjlTrainingEngine.create(parallelism); var report = SimReport.open(out, settings(job, split, faults, parallelism))) {
      Simulation sim = CsvSimulation.of(job, dataset, split.kind(), split.alpha(), split.shards(), rowsPerNode, nodes, faults, engine, evalRows, seed());
      int total = job.rounds();
      rounds = sim.run(r -> {
        err.println(progress(r, total));
        try {
          report.add(r);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      files = report.finish();
    }
    SimRound.Summary last = rounds.getLast();
    boolean completed = last.outcome().equals("completed") && rounds.size() == job.rounds();
    if (json) {
      var summary = new LinkedHashMap<String, Object>();
      summary.put("completed", completed);
      summary.put("rounds", rounds.size());
      summary.put("outcome", last.outcome());
      summary.put("evalMetrics", new TreeMap<>(last.evalMetrics()));
      summary.put("fitMetrics", new TreeMap<>(last.fitMetrics()));
      if (last.epsilon() != null) summary.put("epsilon", last.epsilon());
      summary.put("files", files.stream().map(p -> p.toAbsolutePath().normalize().toString()).toList());
      stdout.println(CliJson.pretty(summary));
    } else {
      stdout.println("simulation " + (completed ? "completed" : "stopped: " + last.outcome()) + " after " + rounds.size() + "/" + job.rounds() + " rounds");
      var metrics = new Table("METRIC", "VALUE").withoutHeader();
      new TreeMap<>(last.evalMetrics()).forEach((k, v) -> metrics.row("  " + k, Format.number(v)));
      if (last.epsilon() != null) metrics.row("  epsilon", Format.number(last.epsilon()));
      metrics.print(stdout);
      for (Path p : files) stdout.println("wrote " + p.toAbsolutePath().normalize());
    }
    stdout.flush();
    if (!completed) {
      err.println("round " + last.round() + " ended " + last.outcome() + " (" + last.updates() + " update(s) of " + last.sampled()
          + " sampled); raise --per-round or --sample-fraction, lower --min-nodes or the fault rates");
      return Main.FAILURE;
    }
    return Main.OK;
  }

  private long seed() {
    return options.seed != null ? options.seed : CsvOptions.DEFAULT_SEED;
  }

  /**
   * {@code round 3/10  accuracy 0.9561  loss 0.1234  updates 19/20  failures 1  ε 1.23  heap 123 MB  0.4 s}: failures counts
   * nodes that failed a phase, heap is in use after the round (before any collection).
   */
  static String progress(SimRound r, int total) {
    var line = new StringBuilder(String.format(Locale.ROOT, "round %d/%d", r.round(), total));
    Double accuracy = r.evalMetrics().get("accuracy");
    Double loss = r.evalMetrics().getOrDefault("loss", r.fitMetrics().get("loss"));
    if (accuracy != null) line.append("  accuracy ").append(Format.number(accuracy));
    if (loss != null) line.append("  loss ").append(Format.number(loss));
    line.append("  updates ").append(r.updates()).append('/').append(r.sampled());
    line.append("  failures ").append(r.failures().stream().map(f -> f.node()).distinct().count());
    if (r.byzantine() > 0) line.append("  byzantine ").append(r.byzantine());
    if (r.epsilon() != null) line.append("  ε ").append(Format.number(r.epsilon()));
    line.append("  heap ").append(r.heapBytes() / (1024 * 1024)).append(" MB");
    line.append(String.format(Locale.ROOT, "  %.1f s", r.wallMillis() / 1000.0));
    if (!r.outcome().equals("completed")) line.append("  ").append(r.outcome());
    return line.toString();
  }

  private Path source(CommandLine cl) {
    if (data.strip().equalsIgnoreCase("fashion-mnist") && !Files.exists(Path.of(data))) {
      return DemoData.findFashionMnist().orElseThrow(() -> new ParameterException(cl,
          "Fashion-MNIST is not on this machine: install it with `apt-get install dataset-fashion-mnist` (Debian) or put the four IDX files in "
              + DemoData.FASHION_MNIST_DIRS.getFirst()));
    }
    Path p = Path.of(data);
    if (!Files.exists(p)) throw new ParameterException(cl, "--data " + data + " does not exist; give a CSV file, an IDX directory or fashion-mnist");
    return p;
  }

  private static boolean idx(Path source) {
    return Files.isDirectory(source);
  }

  private LocalDataset read(CommandLine cl, Path source) {
    String name = datasetName(source);
    if (idx(source)) {
      if (label != null) throw new ParameterException(cl, "--label applies to CSV data; IDX directories carry their labels");
      return IdxDatasetReader.read(source, IdxOptions.of(name).withSeed(seed()));
    }
    if (label == null) throw new ParameterException(cl, "--label is required with a CSV file: the header of the column to predict");
    return CsvDatasetReader.read(source, CsvOptions.of(name, label));
  }

  /** A dataset name from the file's: lower case, {@code [a-z0-9_.-]}, at most 64 characters. */
  static String datasetName(Path source) {
    String file = source.toAbsolutePath().normalize().getFileName() == null ? "data" : source.toAbsolutePath().normalize().getFileName().toString();
    String stem = file.toLowerCase(Locale.ROOT).replaceFirst("\\.csv$", "").replaceAll("[^a-z0-9_.-]", "-").replaceFirst("^[^a-z0-9]+", "");
    if (stem.isEmpty()) stem = "data";
    return stem.length() > 64 ? stem.substring(0, 64) : stem;
  }

  /** Pixels scaled by 1/255, as the gateway scales IDX datasets. */
  private static JobSpec withPixelScaling(JobSpec s) {
    return s.withScaling(new FeatureScaling(List.of(0.0), List.of(255.0)));
  }

  private static String describe(JobSpec job) {
    return job.strategy().getClass().getSimpleName().toLowerCase(Locale.ROOT) + (job.privacy() == null ? "" : ", DP noise " + job.privacy().noiseMultiplier()
        + " (" + job.privacy().mode().name().toLowerCase(Locale.ROOT) + ")") + (job.secureAggregation() == null ? "" : ", secure aggregation secagg+");
  }

  private Map<String, String> settings(JobSpec job, Split split, FaultPlan faults, int parallelism) {
    var s = new LinkedHashMap<String, String>();
    s.put("data", data);
    s.put("model", options.model);
    s.put("nodes", String.valueOf(nodes));
    s.put("sampleFraction", String.valueOf(job.sampleFraction()));
    s.put("partition", split.describe());
    s.put("strategy", describe(job));
    s.put("rounds", String.valueOf(job.rounds()));
    s.put("training", "epochs " + job.training().epochs() + ", batch " + job.training().batchSize() + ", "
        + job.training().optimizer().name().toLowerCase(Locale.ROOT) + " lr " + job.training().learningRate());
    s.put("faults", faults.toString());
    s.put("seed", String.valueOf(seed()));
    s.put("engines", String.valueOf(parallelism));
    return s;
  }

  /** A parsed {@code --partition}. */
  record Split(Population.Split kind, double alpha, int shards) {
    /**
     * The quantity-skew alpha of a bare {@code quantity}: node sizes with a coefficient of variation
     * of 1/sqrt(0.5) = 1.41, close to the 1.31 of the log-normal sizes (sigma 1) that {@code
     * quantity} gave before it took an alpha.
     */
    static final double QUANTITY_ALPHA = 0.5;

    static Split parse(CommandLine cl, String text) {
      String[] parts = text.strip().toLowerCase(Locale.ROOT).split(":", 2);
      try {
        Split s = switch (parts[0]) {
          case "iid" -> parts.length == 1 ? new Split(Population.Split.IID, 0, 0) : null;
          case "quantity", "quantity-skew" -> new Split(Population.Split.QUANTITY_SKEW, parts.length == 1 ? QUANTITY_ALPHA : Double.parseDouble(parts[1]), 0);
          case "dirichlet" -> new Split(Population.Split.DIRICHLET, Double.parseDouble(parts[1]), 0);
          case "shards" -> new Split(Population.Split.SHARDS, 0, Integer.parseInt(parts[1]));
          default -> null;
        };
        if (s != null && (!s.kind.takesAlpha() || (s.alpha > 0 && Double.isFinite(s.alpha))) && (s.kind != Population.Split.SHARDS || s.shards > 0)) return s;
      } catch (RuntimeException e) {
        // reported below
      }
      throw new ParameterException(cl, "--partition is iid, dirichlet:ALPHA (e.g. dirichlet:0.5), shards:K (e.g. shards:2) or quantity[:ALPHA] (e.g. quantity:0.5),"
          + " with ALPHA a finite number above 0 and K a whole number above 0, not '" + text + "'");
    }

    String describe() {
      return switch (kind) {
        case IID -> "IID";
        case DIRICHLET -> "label skew, Dirichlet α = " + alpha;
        case SHARDS -> shards + " label shards per node";
        case QUANTITY_SKEW -> "quantity skew, Dirichlet α = " + alpha + " over node sizes";
      };
    }
  }
}
