package dev.fedgrid.cli;

import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.model.Optimizer;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.ModelDownload;
import dev.fedgrid.client.ModelPresets;
import dev.fedgrid.core.data.Partitioners;
import dev.fedgrid.ml.IdxFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fedgrid demo}: the whole story on one machine. A gateway and several hospital nodes run as
 * separate OS processes on loopback; a public data set is split between the hospitals, each of which
 * registers only metadata; two models are trained federated, round by round with live progress; the
 * final test accuracy and the downloaded model's path are printed; everything stops cleanly.
 */
@Command(
    name = "demo",
    description = {
      "Run the end-to-end story: a gateway and hospital nodes as separate processes on loopback, a data set",
      "split between them (rows stay in each node), federated training with live progress, the final test",
      "accuracy and the downloaded model. Ctrl-C stops everything cleanly."
    },
    footer = {"", "Example:", "  fedgrid demo", "  fedgrid demo --dataset fashion-mnist --nodes 5 --partition dirichlet:0.5"})
public final class DemoCommand implements Callable<Integer> {
  static final Pattern GATEWAY_READY = Pattern.compile("^gateway ready: control API (http://[^,\\s]+), fleet API ([^,\\s]+)$");
  static final Pattern NODE_READY = Pattern.compile("^node ready: (node_[0-9a-z]+)");
  private static final String CANCER_RESOURCE = "/demo/breast_cancer_wisconsin.csv";
  private static final List<Path> FASHION_MNIST_DIRS = List.of(Path.of("../shared/data/fashion-mnist"), Path.of("/usr/share/datasets/fashion-mnist"));

  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Option(names = "--dataset", defaultValue = "breast-cancer", description = "breast-cancer (vendored) or fashion-mnist. Default: ${DEFAULT-VALUE}")
  String dataset;

  @Option(names = "--nodes", description = "Number of hospital nodes. Default: 3 for breast-cancer, 5 for fashion-mnist.")
  Integer nodes;

  @Option(names = "--partition", defaultValue = "iid", description = "How rows are split: iid, dirichlet:ALPHA (label skew) or shards:K. Default: ${DEFAULT-VALUE}")
  String partition;

  @Option(names = "--rounds", description = "Rounds per job. Default: 20 for breast-cancer, 30 for fashion-mnist.")
  Integer rounds;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:FEDGRID_DEMO_DIR:-${sys:user.home}/.fedgrid/demo}",
      description = "Where the demo keeps its processes' state, logs, data splits and models. Env FEDGRID_DEMO_DIR. Default: ${DEFAULT-VALUE}")
  Path dataDir;

  private final List<ChildProcess> children = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    boolean fashion = switch (dataset) {
      case "breast-cancer" -> false;
      case "fashion-mnist" -> true;
      default -> throw new ParameterException(spec.commandLine(), "--dataset must be breast-cancer or fashion-mnist, not '" + dataset + "'");
    };
    int n = nodes != null ? nodes : fashion ? 5 : 3;
    int r = rounds != null ? rounds : fashion ? 30 : 20;
    if (n < 2 || n > 16) throw new ParameterException(spec.commandLine(), "--nodes must be in [2, 16], got " + n);
    if (r < 1 || r > 1000) throw new ParameterException(spec.commandLine(), "--rounds must be in [1, 1000], got " + r);
    Partition split = Partition.parse(partition, spec);
    PrintStream out = FedGridCommand.of(spec).out();
    PrintStream err = FedGridCommand.of(spec).err();

    Path fashionDir = null;
    if (fashion) {
      fashionDir = FASHION_MNIST_DIRS.stream().filter(d -> Files.exists(d.resolve("train-images-idx3-ubyte.gz")) || Files.exists(d.resolve("train-images-idx3-ubyte"))).findFirst()
          .orElseThrow(() -> new UnavailableException("FASHION_MNIST_MISSING",
              "Fashion-MNIST is not on this machine; install it with `apt-get install dataset-fashion-mnist` (Debian) or put the four IDX files in "
                  + FASHION_MNIST_DIRS.getFirst().toAbsolutePath().normalize()));
    }

    Thread cleanup = new Thread(this::stopAll, "fedgrid-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      reset(dataDir);
      out.printf("FedGrid demo: a gateway and %d hospital nodes, each a separate process on loopback; state and logs in %s%n", n, dataDir);
      List<Path> shards = fashion ? splitFashionMnist(fashionDir, n, split) : splitCancer(n, split);
      out.printf("Split %s across %d hospitals (%s); each hospital keeps its rows and tells the gateway only their metadata.%n",
          fashion ? "Fashion-MNIST (60,000 training images)" : "the breast-cancer data (569 patients)", n, split.describe());

      ChildProcess gateway = start("gateway", List.of("gateway", "start", "--data-dir", dataDir.resolve("gateway").toString(),
          "--control-port", "0", "--fleet-port", "0", "--heartbeat", "1s", "--node-timeout", "5s"), GATEWAY_READY);
      Matcher ready = gateway.awaitReady(Duration.ofSeconds(60));
      String controlUrl = ready.group(1);
      String fleet = ready.group(2);
      out.printf("Gateway up: control API %s, fleet API %s (log: %s)%n", controlUrl, fleet, gateway.log());

      String name = fashion ? "fashion-mnist" : "breast-cancer";
      var hospitals = new ArrayList<ChildProcess>();
      for (int i = 0; i < n; i++) {
        String hospital = "hospital-" + (i + 1);
        String option = fashion
            ? "name=" + name + ",path=" + shards.get(i) + ",format=idx,tags=fashion,images"
            : "name=" + name + ",path=" + shards.get(i) + ",label=benign,test=0.2,tags=health,oncology,visibility=private";
        hospitals.add(start(hospital, List.of("node", "start", "--gateway", fleet, "--name", hospital,
            "--data-dir", dataDir.resolve("nodes").resolve(hospital).toString(), "--dataset", option), NODE_READY));
      }
      err.println("Starting " + n + " nodes (the first start on a machine unpacks PyTorch into ~/.fedgrid/cache, once)...");
      for (ChildProcess h : hospitals) h.awaitReady(Duration.ofMinutes(5));

      try (FedGridClient client = FedGridClient.builder().baseUri(controlUrl).timeout(Duration.ofSeconds(30)).build()) {
        List<DatasetInfo> catalogue = client.datasets(name, null);
        out.println("Catalogue (metadata only):");
        for (DatasetInfo d : catalogue) {
          out.printf("  %-28s %-13s on %s: %,d training rows, %,d test rows, %d features, label '%s'%n", d.id(), d.name(), d.nodeId(),
              d.metadata().trainRows(), d.metadata().testRows(), width(d.metadata().featureShape()), d.metadata().label().column());
        }
        DatasetInfo first = catalogue.getFirst();
        if (fashion) {
          var sgd = new TrainingConfig(1, 32, Optimizer.SGD, 0.05, 0.9, 42L);
          runJob(client, out, err, new JobSpec("MLP 784-128-10", List.of(name), ModelPresets.preset("mlp:128", first), sgd,
              new StrategyConfig.FedAvg(), r, n, 600, true));
        } else {
          var sgd = new TrainingConfig(1, 16, Optimizer.SGD, 0.1, 0.0, 42L);
          runJob(client, out, err, new JobSpec("logistic regression", List.of(name), ModelPresets.preset("logistic", first), sgd,
              new StrategyConfig.FedAvg(), r, n, 120, true));
          runJob(client, out, err, new JobSpec("MLP 30-16-1", List.of(name), ModelPresets.preset("mlp:16", first), sgd,
              new StrategyConfig.FedAvg(), r, n, 120, true));
        }
      }
      out.println("Stopping the nodes and the gateway...");
      stopAll();
      out.println("Done. Every process stopped cleanly; logs are in " + dataDir.resolve("logs"));
      return Main.OK;
    } finally {
      stopAll();
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
  }

  private void runJob(FedGridClient client, PrintStream out, PrintStream err, JobSpec spec) throws IOException {
    Job job = client.submitJob(spec);
    out.printf("%nJob %s: %s, %s, %d rounds on %s%n", job.id(), spec.name(), spec.strategy().name(), spec.rounds(), String.join(", ", spec.datasets()));
    JobCommand.watch(client, job.id(), out, err, false);
    Job done = client.job(job.id());
    ModelDownload model = client.downloadModel(job.id(), dataDir.resolve("models").resolve(job.id().value()));
    Double accuracy = done.metrics().get("accuracy");
    out.printf("Test accuracy of %s: %s (federated evaluation on every hospital's held-out rows)%n", spec.name(),
        accuracy == null ? "n/a" : String.format(Locale.ROOT, "%.4f", accuracy));
    out.printf("Model: %s%n       %s%n", model.weights(), model.description());
  }

  private ChildProcess start(String name, List<String> args, Pattern readyLine) throws IOException {
    ChildProcess child = ChildProcess.start(name, dataDir.resolve("logs").resolve(name + ".log"), readyLine, args);
    synchronized (children) {
      children.add(child);
    }
    return child;
  }

  /** Stops nodes first, then the gateway, each with SIGTERM and a bounded wait. */
  private void stopAll() {
    List<ChildProcess> all;
    synchronized (children) {
      all = new ArrayList<>(children);
      children.clear();
    }
    for (int i = all.size() - 1; i >= 0; i--) {
      try {
        all.get(i).close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ------------------------------------------------------------------ data splits

  /** Splits the vendored breast-cancer CSV into one file per hospital. */
  private List<Path> splitCancer(int n, Partition split) throws IOException {
    List<String> lines;
    try (InputStream in = DemoCommand.class.getResourceAsStream(CANCER_RESOURCE)) {
      if (in == null) throw new IllegalStateException("the demo data " + CANCER_RESOURCE + " is missing from the fedgrid-cli jar; rebuild with ./mvnw install");
      lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().filter(l -> !l.isBlank()).toList();
    }
    String header = lines.getFirst();
    List<String> rows = lines.subList(1, lines.size());
    int labelColumn = List.of(header.split(",")).indexOf("benign");
    int[] labels = rows.stream().mapToInt(row -> (int) Double.parseDouble(row.split(",")[labelColumn])).toArray();
    List<int[]> parts = split.apply(labels, n);
    Path dir = Files.createDirectories(dataDir.resolve("data"));
    var files = new ArrayList<Path>();
    for (int i = 0; i < n; i++) {
      var content = new StringBuilder(header).append('\n');
      for (int row : parts.get(i)) content.append(rows.get(row)).append('\n');
      Path file = dir.resolve("hospital-" + (i + 1) + ".csv");
      Files.writeString(file, content);
      files.add(file);
    }
    return files;
  }

  /** Splits Fashion-MNIST's training images by the partition and its test images evenly, as IDX files per hospital. */
  private List<Path> splitFashionMnist(Path source, int n, Partition split) throws IOException {
    IdxFiles.Images train = IdxFiles.readImages(idx(source, "train-images-idx3-ubyte"));
    byte[] trainLabels = IdxFiles.readLabels(idx(source, "train-labels-idx1-ubyte"));
    IdxFiles.Images test = IdxFiles.readImages(idx(source, "t10k-images-idx3-ubyte"));
    byte[] testLabels = IdxFiles.readLabels(idx(source, "t10k-labels-idx1-ubyte"));
    int[] labels = new int[trainLabels.length];
    for (int i = 0; i < labels.length; i++) labels[i] = trainLabels[i] & 0xff;
    List<int[]> trainParts = split.apply(labels, n);
    List<int[]> testParts = Partitioners.iid(testLabels.length, n, 7);
    var dirs = new ArrayList<Path>();
    for (int i = 0; i < n; i++) {
      Path dir = Files.createDirectories(dataDir.resolve("data").resolve("hospital-" + (i + 1)));
      write(dir, "train", train, trainLabels, trainParts.get(i));
      write(dir, "t10k", test, testLabels, testParts.get(i));
      dirs.add(dir);
    }
    return dirs;
  }

  private static void write(Path dir, String prefix, IdxFiles.Images images, byte[] labels, int[] rows) throws IOException {
    int size = images.rows() * images.cols();
    byte[] pixels = new byte[rows.length * size];
    byte[] picked = new byte[rows.length];
    for (int k = 0; k < rows.length; k++) {
      System.arraycopy(images.pixels(), rows[k] * size, pixels, k * size, size);
      picked[k] = labels[rows[k]];
    }
    IdxFiles.writeImages(dir.resolve(prefix + "-images-idx3-ubyte.gz"), images.rows(), images.cols(), pixels, rows.length);
    IdxFiles.writeLabels(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), picked);
  }

  private static Path idx(Path dir, String name) {
    Path gz = dir.resolve(name + ".gz");
    return Files.exists(gz) ? gz : dir.resolve(name);
  }

  private static void reset(Path dir) throws IOException {
    for (String sub : List.of("gateway", "nodes", "data", "logs", "models")) {
      Path p = dir.resolve(sub);
      if (!Files.exists(p)) continue;
      try (Stream<Path> walk = Files.walk(p)) {
        for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
      }
    }
    Files.createDirectories(dir);
  }

  private static int width(List<Integer> shape) {
    int w = 1;
    for (int d : shape) w *= d;
    return w;
  }

  /** How the demo splits rows between hospitals. */
  record Partition(String kind, double parameter) {
    static Partition parse(String text, CommandSpec spec) {
      String[] parts = text.strip().toLowerCase(Locale.ROOT).split(":", 2);
      try {
        return switch (parts[0]) {
          case "iid" -> new Partition("iid", 0);
          case "dirichlet" -> new Partition("dirichlet", Double.parseDouble(parts[1]));
          case "shards" -> new Partition("shards", Integer.parseInt(parts[1]));
          default -> throw new IllegalArgumentException();
        };
      } catch (RuntimeException e) {
        throw new ParameterException(spec.commandLine(), "--partition must be iid, dirichlet:ALPHA (e.g. dirichlet:0.5) or shards:K (e.g. shards:2), not '" + text + "'");
      }
    }

    List<int[]> apply(int[] labels, int n) {
      return switch (kind) {
        case "dirichlet" -> Partitioners.dirichlet(labels, n, parameter, 42);
        case "shards" -> Partitioners.shards(labels, n, (int) parameter, 42);
        default -> Partitioners.iid(labels.length, n, 42);
      };
    }

    String describe() {
      return switch (kind) {
        case "dirichlet" -> "label skew, Dirichlet α = " + parameter;
        case "shards" -> (int) parameter + " label shards per hospital";
        default -> "IID";
      };
    }
  }
}
