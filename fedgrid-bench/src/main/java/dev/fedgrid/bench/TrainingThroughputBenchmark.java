package dev.fedgrid.bench;

import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.Layer;
import dev.fedgrid.api.model.Loss;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Optimizer;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.cli.DemoData;
import dev.fedgrid.core.init.Initializers;
import dev.fedgrid.ml.DjlTrainingEngine;
import dev.fedgrid.ml.FitResult;
import dev.fedgrid.ml.IdxDatasetReader;
import dev.fedgrid.ml.IdxOptions;
import dev.fedgrid.ml.LocalData;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * End-to-end benchmark: training throughput (examples per second) of the node's training engine,
 * {@link DjlTrainingEngine}, against PyTorch driven from Python on the same model, data, optimizer
 * and batch sizes, in the same run.
 *
 * <p>Model: MLP 784-128-10 (ReLU), softmax cross-entropy, SGD with learning rate 0.02 and momentum
 * 0.9. Data: the 60,000 Fashion-MNIST training images, pixels scaled by 1/255 (FedGrid scales each
 * batch as it copies it, as a node does; the Python loop scales the whole tensor once). Both sides
 * use one intra-op and one inter-op thread and shuffle every epoch. For each batch size (32 and
 * 128 by default) each side trains warm-up epochs, which are not timed, then timed epochs, each
 * timed on its own; the figure is the training examples of one epoch over the median epoch's wall
 * time (the median keeps an epoch slowed by other work on the machine from moving it). FedGrid
 * trains each timed epoch as one {@code fit} call from the previous epoch's parameters, as a node
 * does in a round of one local epoch, so an epoch includes building the model from the parameters
 * and reading them back. The two sides take turns, one epoch each, so that both see the same load
 * from whatever else runs on the machine; the ratio is the median of the per-epoch ratios.
 *
 * <p>The PyTorch side is {@code torch_mlp_throughput.py} (a resource of this module) run with
 * {@code python3}; Debian's {@code python3-torch} installs into the system interpreter, so {@code
 * /usr/bin/python3} is tried when the {@code python3} on the path cannot import torch. When neither
 * can, the report says so and has no PyTorch column. {@code --torch-env} sets environment variables
 * of the Python process only, for example {@code LD_LIBRARY_PATH} to try another BLAS library
 * (Debian's PyTorch calls whichever {@code libblas.so.3} it finds; the report names it).
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "fedgrid-bench/target/fedgrid-bench-0.1.0-SNAPSHOT.jar:fedgrid-cli/target/fedgrid-cli.jar:fedgrid-cli/target/lib/*" \
 *     dev.fedgrid.bench.TrainingThroughputBenchmark [--batches 32,128] [--warmup 1] [--epochs 5] [--python python3] [--torch-env NAME=VALUE]... [--no-pytorch] [--out report.md]
 * </pre>
 *
 * Writes {@code fedgrid-bench/target/reports/training-throughput.md}. Exits 2 when Fashion-MNIST
 * is not on the machine.
 */
public final class TrainingThroughputBenchmark {
  private static final String SCRIPT = "torch_mlp_throughput.py";
  private static final double LEARNING_RATE = 0.02;
  private static final double MOMENTUM = 0.9;
  private static final long SEED = 42;

  private TrainingThroughputBenchmark() {}

  /**
   * The timed epochs of one side at one batch size: seconds per epoch of {@code examples} examples;
   * loss and accuracy are the last epoch's training figures.
   */
  record Measured(int batch, long examples, double[] seconds, double loss, double accuracy) {
    /** Examples per second in the median epoch, robust to an epoch slowed by other work on the machine. */
    double examplesPerSecond() {
      return examples / Stats.median(seconds);
    }

    double slowest() {
      return examples / Stats.percentile(seconds, 100);
    }

    double fastest() {
      return examples / Arrays.stream(seconds).min().orElseThrow();
    }
  }

  /** One batch size: FedGrid's epochs and, unless skipped, PyTorch's, taken in turns. */
  record Row(Measured fedgrid, Measured pytorch) {
    /** FedGrid's examples/s over PyTorch's, the median over the pairs of epochs run back to back. */
    double ratio() {
      double[] ratios = new double[fedgrid.seconds().length];
      for (int e = 0; e < ratios.length; e++) ratios[e] = pytorch.seconds()[e] / fedgrid.seconds()[e] * fedgrid.examples() / pytorch.examples();
      return Stats.median(ratios);
    }
  }

  public static void main(String[] args) throws Exception {
    int[] batches = {32, 128};
    int warmup = 1;
    int epochs = 5;
    String python = null;
    var torchEnv = new LinkedHashMap<String, String>();
    boolean pytorch = true;
    Path out = Path.of("fedgrid-bench/target/reports/training-throughput.md");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--batches" -> batches = Arrays.stream(args[++i].split(",")).mapToInt(s -> Integer.parseInt(s.strip())).toArray();
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--epochs" -> epochs = Integer.parseInt(args[++i]);
        case "--python" -> python = args[++i];
        case "--torch-env" -> {
          String[] kv = args[++i].split("=", 2);
          torchEnv.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        case "--no-pytorch" -> pytorch = false;
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
    long started = System.nanoTime();
    LocalData train = IdxDatasetReader.read(source, IdxOptions.of("fashion-mnist")).train();
    System.err.println("== " + train.rows() + " training images from " + source);

    var rows = new ArrayList<Row>();
    String skipped = pytorch ? null : "--no-pytorch was given";
    String versions = null;
    try (TorchProcess torch = pytorch ? TorchProcess.start(python, torchEnv, source) : null;
        DjlTrainingEngine engine = DjlTrainingEngine.create(1)) {
      if (torch != null && torch.skipped() != null) skipped = torch.skipped();
      TorchProcess baseline = torch != null && torch.skipped() == null ? torch : null;
      if (baseline != null) versions = baseline.python() + "`: " + baseline.versions();
      if (skipped != null) System.err.println("PyTorch column skipped: " + skipped);
      for (int batch : batches) rows.add(batch(engine, baseline, train, batch, warmup, epochs));
    }

    String report = render(rows, versions, skipped, torchEnv, source, warmup, epochs, (System.nanoTime() - started) / 1e9, String.join(" ", args));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report);
    System.out.println(report);
    System.out.println("Report written to " + out.toAbsolutePath());
  }

  /** Warm-up epochs, then timed epochs taken in turns by FedGrid and, when present, PyTorch. */
  private static Row batch(DjlTrainingEngine engine, TorchProcess torch, LocalData train, int batch, int warmup, int epochs) throws IOException {
    System.err.println("== batch " + batch);
    var spec = new ModelSpec(List.of(new Layer.Flatten(), new Layer.Dense(128), new Layer.Relu(), new Layer.Dense(10)), Loss.SOFTMAX_CROSS_ENTROPY);
    var scaling = new FeatureScaling(List.of(0.0), List.of(255.0));
    Parameters start = Initializers.initialize(spec.parameterLayout(train.featureShape()), SEED);
    if (torch != null) torch.model(batch);
    if (warmup > 0) {
      start = engine.fit(spec, start, train, scaling, new TrainingConfig(warmup, batch, Optimizer.SGD, LEARNING_RATE, MOMENTUM, SEED), 0).parameters();
      for (int e = 0; e < warmup; e++) if (torch != null) torch.epoch();
    }
    double[] seconds = new double[epochs];
    double[] torchSeconds = new double[epochs];
    FitResult r = null;
    Map<String, String> last = null;
    for (int e = 0; e < epochs; e++) {
      var epoch = new TrainingConfig(1, batch, Optimizer.SGD, LEARNING_RATE, MOMENTUM, SEED + warmup + e);
      long t = System.nanoTime();
      r = engine.fit(spec, start, train, scaling, epoch, 0);
      seconds[e] = (System.nanoTime() - t) / 1e9;
      start = r.parameters();
      System.err.printf(Locale.ROOT, "  FedGrid epoch %d: %.3f s, loss %.4f%n", e + 1, seconds[e], r.metrics().getOrDefault("loss", Double.NaN));
      if (torch != null) {
        last = torch.epoch();
        torchSeconds[e] = Double.parseDouble(last.get("seconds"));
        System.err.printf(Locale.ROOT, "  PyTorch epoch %d: %.3f s, loss %s%n", e + 1, torchSeconds[e], last.get("loss"));
      }
    }
    var fedgrid = new Measured(batch, train.rows(), seconds, r.metrics().getOrDefault("loss", Double.NaN), r.metrics().getOrDefault("accuracy", Double.NaN));
    Measured pytorch = last == null ? null
        : new Measured(batch, Long.parseLong(last.get("examples")), torchSeconds, Double.parseDouble(last.get("loss")), Double.parseDouble(last.get("accuracy")));
    return new Row(fedgrid, pytorch);
  }

  /**
   * The PyTorch side: {@value #SCRIPT} in a Python process driven over its standard input, or why
   * it could not start.
   */
  private static final class TorchProcess implements AutoCloseable {
    private final String python;
    private final String versions;
    private final String skipped;
    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final Path script;
    private final Path errors;

    private TorchProcess(String python, String versions, String skipped, Process process, Path script, Path errors) {
      this.python = python;
      this.versions = versions;
      this.skipped = skipped;
      this.process = process;
      this.script = script;
      this.errors = errors;
      this.out = process == null ? null : new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.in = process == null ? null : new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /**
     * Starts the script with {@code python}, or else the first of {@code python3} and {@code
     * /usr/bin/python3} that imports torch; when none does, a process that only says why.
     */
    static TorchProcess start(String python, Map<String, String> env, Path source) throws IOException, InterruptedException {
      Path script = Files.createTempFile("fedgrid-torch-", ".py");
      try (InputStream resource = TrainingThroughputBenchmark.class.getResourceAsStream(SCRIPT)) {
        if (resource == null) throw new IOException("resource " + SCRIPT + " is missing from the class path");
        Files.write(script, resource.readAllBytes());
      }
      Path errors = Files.createTempFile("fedgrid-torch-", ".err");
      var refusals = new ArrayList<String>();
      for (String candidate : python != null ? List.of(python) : List.of("python3", "/usr/bin/python3")) {
        Process probe;
        try {
          probe = builder(candidate, env, script, errors, "--probe").start();
        } catch (IOException e) {
          refusals.add(candidate + ": " + e.getMessage());
          continue;
        }
        String version = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (probe.waitFor() == 0 && version.startsWith("version ")) {
          Process process = builder(candidate, env, script, errors, "--data", source.toString(), "--lr", String.valueOf(LEARNING_RATE),
              "--momentum", String.valueOf(MOMENTUM), "--seed", String.valueOf(SEED)).start();
          var torch = new TorchProcess(candidate, version.substring("version ".length()), null, process, script, errors);
          try {
            torch.expect("version ");
            torch.expect("ready ");
          } catch (IOException e) {
            torch.close();
            return new TorchProcess(null, null, "the PyTorch script imported torch but did not start: " + e.getMessage(), null, null, null);
          }
          System.err.println("== PyTorch through " + candidate + " (" + torch.versions + ")");
          return torch;
        }
        refusals.add(candidate + ": exit " + probe.exitValue() + lastLine(Files.readString(errors)));
      }
      Files.deleteIfExists(script);
      Files.deleteIfExists(errors);
      return new TorchProcess(null, null,
          "no Python could import torch (" + String.join("; ", refusals) + "); install Debian's python3-torch (`apt-get install python3-torch`) or pass --python PATH",
          null, null, null);
    }

    private static ProcessBuilder builder(String python, Map<String, String> env, Path script, Path errors, String... arguments) {
      var command = new ArrayList<>(List.of(python, script.toString()));
      command.addAll(List.of(arguments));
      var builder = new ProcessBuilder(command).redirectError(errors.toFile());
      // one thread for PyTorch's own pools and for any BLAS it calls
      builder.environment().put("OMP_NUM_THREADS", "1");
      builder.environment().put("OPENBLAS_NUM_THREADS", "1");
      builder.environment().put("MKL_NUM_THREADS", "1");
      builder.environment().putAll(env);
      return builder;
    }

    String python() {
      return python;
    }

    String versions() {
      return versions;
    }

    String skipped() {
      return skipped;
    }

    void model(int batch) throws IOException {
      send("model " + batch);
      expect("model ");
    }

    /** One epoch; its {@code key=value} fields. */
    Map<String, String> epoch() throws IOException {
      send("epoch");
      return fields(expect("epoch "));
    }

    private void send(String command) throws IOException {
      in.write(command + "\n");
      in.flush();
    }

    private String expect(String prefix) throws IOException {
      String line = out.readLine();
      if (line == null || !line.startsWith(prefix)) {
        throw new IOException("the PyTorch script answered " + (line == null ? "nothing" : "'" + line + "'") + " where '" + prefix.strip() + " ...' was due"
            + lastLine(Files.readString(errors)));
      }
      return line;
    }

    private static String lastLine(String text) {
      String t = text.strip();
      return t.isEmpty() ? "" : ", " + t.substring(t.lastIndexOf('\n') + 1);
    }

    @Override
    public void close() throws IOException {
      if (process == null) return;
      try {
        in.close(); // end of input: the script exits
      } catch (IOException e) {
        // the script has exited already
      }
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
      Files.deleteIfExists(script);
      Files.deleteIfExists(errors);
    }
  }

  /** {@code key=value} pairs of one output line. */
  static Map<String, String> fields(String line) {
    var fields = new HashMap<String, String>();
    for (String part : line.strip().split("\\s+")) {
      int eq = part.indexOf('=');
      if (eq > 0) fields.put(part.substring(0, eq), part.substring(eq + 1));
    }
    return fields;
  }

  static String render(
      List<Row> rows, String versions, String skipped, Map<String, String> torchEnv, Path source, int warmup, int epochs, double wallSeconds, String args) {
    var md = new StringBuilder();
    md.append("# Training throughput: FedGrid's engine against PyTorch\n\n");
    md.append("Measured ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE))
        .append(" (UTC) by `dev.fedgrid.bench.TrainingThroughputBenchmark").append(args.isEmpty() ? "" : " " + args)
        .append("` in ").append(String.format(Locale.ROOT, "%.0f", wallSeconds)).append(" s.\n\n");
    md.append("Model: MLP 784-128-10 (ReLU), softmax cross-entropy, SGD with learning rate ").append(LEARNING_RATE).append(" and momentum ").append(MOMENTUM)
        .append(". Data: the ").append(rows.isEmpty() ? "?" : rows.getFirst().fedgrid().examples()).append(" Fashion-MNIST training images from `").append(source)
        .append("`, pixels scaled by 1/255, shuffled every epoch. One intra-op and one inter-op thread on both sides. ");
    md.append("Per batch size each side trains ").append(warmup).append(" warm-up epoch(s), not timed, then ").append(epochs)
        .append(" timed epochs, each timed on its own, the two sides taking turns epoch by epoch so that both see the same load from other work on the machine. ")
        .append("examples/s is one epoch's examples over the median epoch's wall time; the range is the slowest and the fastest epoch; ")
        .append("the ratio is the median of the per-epoch ratios. ");
    md.append("FedGrid: `DjlTrainingEngine.fit` (DJL on PyTorch's native library, the node's training path), one call per epoch from the previous epoch's parameters, ")
        .append("as a node trains a round of one local epoch; a call also builds the model from the parameters and reads them back, and scales each batch as it copies it. ");
    md.append("PyTorch: `torch_mlp_throughput.py` (a resource of `fedgrid-bench`) in a Python process, the whole data set scaled once into a tensor, ")
        .append("each batch gathered by index; like FedGrid it reads each batch's loss and correct predictions back. Loss and accuracy are the last timed epoch's ")
        .append("training figures, shown to check that both sides learn alike.\n\n");
    md.append("## Machine\n\n| | |\n|---|---|\n").append(Machine.tableRows());
    md.append("| FedGrid engine | DJL PyTorch engine, PyTorch ").append(ai.djl.engine.Engine.getEngine("PyTorch").getVersion()).append(" |\n");
    if (versions != null) {
      md.append("| PyTorch baseline | `").append(versions.replace("blas=", "BLAS "));
      torchEnv.forEach((k, v) -> md.append(", `").append(k).append('=').append(v).append('`'));
      md.append(" |\n");
    }
    md.append('\n');
    md.append("## Results\n\n");
    if (skipped != null) md.append("**PyTorch column skipped:** ").append(skipped).append("\n\n");
    boolean withBaseline = skipped == null;
    md.append("| batch | FedGrid examples/s | range | FedGrid loss / accuracy |");
    if (withBaseline) md.append(" PyTorch examples/s | range | PyTorch loss / accuracy | FedGrid / PyTorch |");
    md.append("\n|---:|---:|---:|---:|").append(withBaseline ? "---:|---:|---:|---:|" : "").append('\n');
    for (Row row : rows) {
      Measured f = row.fedgrid();
      md.append("| ").append(f.batch()).append(" | ").append(String.format(Locale.ROOT, "%,.0f", f.examplesPerSecond())).append(" | ").append(range(f))
          .append(" | ").append(String.format(Locale.ROOT, "%.3f / %.3f", f.loss(), f.accuracy())).append(" |");
      if (withBaseline) {
        Measured p = row.pytorch();
        md.append(' ').append(String.format(Locale.ROOT, "%,.0f", p.examplesPerSecond())).append(" | ").append(range(p))
            .append(" | ").append(String.format(Locale.ROOT, "%.3f / %.3f", p.loss(), p.accuracy()))
            .append(" | ").append(String.format(Locale.ROOT, "%.2f", row.ratio())).append(" |");
      }
      md.append('\n');
    }
    md.append("\nA ratio above 1 means FedGrid trains faster. Ratios hold for this machine and these builds only.\n");
    return md.toString();
  }

  private static String range(Measured m) {
    return String.format(Locale.ROOT, "%,.0f–%,.0f", m.slowest(), m.fastest());
  }
}
