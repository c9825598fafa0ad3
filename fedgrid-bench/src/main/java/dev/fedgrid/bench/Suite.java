package dev.fedgrid.bench;

import dev.fedgrid.cli.DemoData;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The whole benchmark suite from one command: runs every benchmark of docs/benchmarks.md in
 * sequence, each in its own JVM with the flags its section documents, and writes each one's report
 * next to an index ({@code suite.md}) that lists every benchmark with its status (ok, skipped with
 * the reason, or failed with the error), its wall time, its report and its log.
 *
 * <p>Each benchmark runs as a child process rather than in this JVM because the benchmarks need
 * different heaps and modules (8 or 10 GiB for the simulator's scale runs, the Vector API for the
 * kernels), measure their own heap, and exit with a status when they cannot run; a benchmark that
 * fails or exits cannot take the rest of the suite with it. Children get this JVM's {@code java},
 * class path and working directory. A benchmark whose input is missing (Fashion-MNIST) is skipped
 * with the reason before it starts. The exit status is 0 when every selected benchmark succeeded or
 * was skipped, 1 when one failed, 2 on a usage error.
 *
 * <pre>
 *   fedgrid-bench/run-suite [--quick] [--only aggregation,accuracy] [--reports DIR] [--list]
 * </pre>
 *
 * {@code --quick} runs every benchmark with small settings (a few minutes in all), writes to {@code
 * fedgrid-bench/target/reports/quick/} so that it never overwrites a full report, and its figures
 * are smoke-test figures, not results. Not thread-safe; one suite per process.
 */
public final class Suite {
  static final Path REPORTS = Path.of("fedgrid-bench/target/reports");
  private static final List<String> NATIVE = List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow");
  private static final List<String> VECTOR = List.of("--add-modules", "jdk.incubator.vector");

  private Suite() {}

  /**
   * One benchmark of the suite.
   *
   * @param name the name {@code --only} takes and the report's file name without {@code .md}
   * @param mainClass the class whose {@code main} runs it
   * @param jvm the child JVM's options, as the benchmark's section of docs/benchmarks.md gives them
   * @param args the arguments of the full run (the documented command)
   * @param quickArgs the arguments of {@code --quick}
   * @param positionalOut whether the report path is the first argument rather than {@code --out PATH}
   * @param skipReason empty when the benchmark can run on this machine, else why not
   * @param notePrefix an output line starting with this is quoted in the index as a note (a baseline
   *     the benchmark left out), or {@code null}
   */
  record Benchmark(
      String name,
      String mainClass,
      List<String> jvm,
      List<String> args,
      List<String> quickArgs,
      boolean positionalOut,
      Supplier<Optional<String>> skipReason,
      String notePrefix) {
    Benchmark {
      jvm = List.copyOf(jvm);
      args = List.copyOf(args);
      quickArgs = List.copyOf(quickArgs);
    }

    List<String> command(Path report, boolean quick) {
      var cmd = new ArrayList<String>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(jvm);
      for (String property : List.of("fedgrid.home", "ai.djl.offline")) {
        String value = System.getProperty(property);
        if (value != null) cmd.add("-D" + property + "=" + value);
      }
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(mainClass);
      if (positionalOut) cmd.add(report.toString());
      else cmd.addAll(List.of("--out", report.toString()));
      cmd.addAll(quick ? quickArgs : args);
      return cmd;
    }
  }

  /** Every benchmark, in the order the suite runs them: the short ones first. */
  static List<Benchmark> all() {
    Supplier<Optional<String>> always = Optional::empty;
    Supplier<Optional<String>> fashionMnist = () -> DemoData.findFashionMnist().isPresent() ? Optional.empty()
        : Optional.of("Fashion-MNIST is not on this machine (apt-get install dataset-fashion-mnist, or the IDX files in "
            + DemoData.FASHION_MNIST_DIRS.getFirst() + ")");
    var sim = new ArrayList<String>(List.of("-XX:ActiveProcessorCount=2"));
    sim.addAll(NATIVE);
    var simScale = new ArrayList<String>(List.of("-Xmx8g"));
    simScale.addAll(sim);
    var secagg = new ArrayList<String>(VECTOR);
    secagg.add("-Xmx8g");
    var simSecAgg = new ArrayList<String>(List.of("-Xmx10g"));
    simSecAgg.addAll(sim);
    return List.of(
        new Benchmark("coordinator-overhead", "dev.fedgrid.bench.CoordinatorOverheadBenchmark", NATIVE, List.of(),
            List.of("--nodes", "20", "--jobs", "1", "--rounds", "5", "--warmup-rounds", "3"), false, always, null),
        new Benchmark("fleet-transfer", "dev.fedgrid.bench.FleetTransferBenchmark", NATIVE, List.of(),
            List.of("--params", "2500000", "--warmup", "1", "--repeats", "2"), false, always, null),
        new Benchmark("aggregation", "dev.fedgrid.bench.AggregationReport", VECTOR, List.of(), List.of("--quick"), true, always, null),
        new Benchmark("training-throughput", "dev.fedgrid.bench.TrainingThroughputBenchmark", NATIVE, List.of(),
            List.of("--batches", "128", "--warmup", "0", "--epochs", "1"), false, fashionMnist, "PyTorch column skipped: "),
        new Benchmark("sim-scale", "dev.fedgrid.bench.SimScaleBenchmark", simScale, List.of(),
            List.of("--population", "10000", "--per-round", "100", "--rounds", "2", "--no-baseline"), false, always, null),
        new Benchmark("fashion-mnist", "dev.fedgrid.bench.FashionMnistBenchmark", NATIVE, List.of(),
            List.of("--rounds", "2", "--no-baseline"), false, fashionMnist, null),
        new Benchmark("robustness", "dev.fedgrid.bench.RobustnessBenchmark", sim, List.of(),
            List.of("--rounds", "2", "--attacks", "scale:10"), false, fashionMnist, null),
        new Benchmark("accuracy", "dev.fedgrid.bench.AccuracyBenchmark", sim, List.of(),
            List.of("--rounds", "2", "--fedavg-only", "--epochs", "1"), false, fashionMnist, null),
        new Benchmark("secagg", "dev.fedgrid.bench.SecAggReport", secagg, List.of(), List.of("--quick"), true, always, null),
        new Benchmark("sim-secagg-scale", "dev.fedgrid.bench.SimSecAggScaleBenchmark", simSecAgg, List.of(), List.of("--clients", "300"), false, fashionMnist,
            null));
  }

  /** A command line the suite refuses; nothing has run. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  /**
   * The parsed command line.
   *
   * @param selected the benchmarks to run, in the suite's order
   * @param reports where the reports, the logs and the index go
   */
  record Options(List<Benchmark> selected, boolean quick, Path reports, boolean list) {
    static Options parse(String[] args, List<Benchmark> all) throws UsageException {
      boolean quick = false;
      boolean list = false;
      Path reports = null;
      LinkedHashSet<String> only = null;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--quick" -> quick = true;
          case "--list" -> list = true;
          case "--only" -> {
            if (i + 1 >= args.length || args[i + 1].isBlank()) throw new UsageException("--only needs a comma-separated list of benchmarks: " + names(all));
            only = new LinkedHashSet<>();
            for (String name : args[++i].split(",")) {
              String n = name.strip();
              if (all.stream().noneMatch(b -> b.name().equals(n))) throw new UsageException("--only: no benchmark named '" + n + "'; the suite has " + names(all));
              only.add(n);
            }
          }
          case "--reports" -> {
            if (i + 1 >= args.length || args[i + 1].isBlank()) throw new UsageException("--reports needs a directory");
            reports = Path.of(args[++i]);
          }
          default -> throw new UsageException("unknown option '" + args[i] + "'; options: --quick, --only NAME[,NAME...], --reports DIR, --list");
        }
      }
      var chosen = only;
      List<Benchmark> selected = chosen == null ? all : all.stream().filter(b -> chosen.contains(b.name())).toList();
      if (reports == null) reports = quick ? REPORTS.resolve("quick") : REPORTS;
      return new Options(selected, quick, reports, list);
    }
  }

  private static String names(List<Benchmark> all) {
    return String.join(", ", all.stream().map(Benchmark::name).toList());
  }

  /** How one benchmark ended. */
  sealed interface Status {
    record Ok(Optional<String> note) implements Status {}

    record Skipped(String reason) implements Status {}

    record Failed(String error) implements Status {}
  }

  /** One benchmark's line of the index. */
  record Result(Benchmark benchmark, Status status, Duration wall, Path report, Path log) {}

  public static void main(String[] args) throws IOException, InterruptedException {
    List<Benchmark> all = all();
    Options options;
    try {
      options = Options.parse(args, all);
    } catch (UsageException e) {
      System.err.println("fedgrid bench suite: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (options.list()) {
      for (Benchmark b : all) System.out.println(b.name() + "\t" + b.mainClass());
      return;
    }
    System.exit(run(options, String.join(" ", args), System.err));
  }

  /**
   * Runs the selected benchmarks one after another and rewrites the index after each, so that an
   * interrupted suite still leaves one.
   *
   * @return 0 when none failed, 1 when one did
   */
  static int run(Options options, String commandLine, PrintStream progress) throws IOException, InterruptedException {
    Files.createDirectories(options.reports().resolve("logs"));
    var results = new ArrayList<Result>();
    ZonedDateTime started = ZonedDateTime.now(ZoneOffset.UTC);
    long suiteStart = System.nanoTime();
    int total = options.selected().size();
    for (int i = 0; i < total; i++) {
      Benchmark b = options.selected().get(i);
      String step = "[" + (i + 1) + "/" + total + "] " + b.name();
      Path report = options.reports().resolve(b.name() + ".md");
      Path log = options.reports().resolve("logs").resolve(b.name() + ".log");
      Optional<String> skip = b.skipReason().get();
      Result result;
      if (skip.isPresent()) {
        result = new Result(b, new Status.Skipped(skip.get()), Duration.ZERO, report, log);
      } else {
        progress.println(step + ": started" + (options.quick() ? " (quick)" : "") + ", log " + log);
        result = runOne(b, report, log, options.quick(), progress);
      }
      results.add(result);
      progress.println(step + ": " + describe(result.status()) + (result.wall().isZero() ? "" : " after " + duration(result.wall())));
      writeIndex(options, commandLine, started, results, Duration.ofNanos(System.nanoTime() - suiteStart));
    }
    long failed = results.stream().filter(r -> r.status() instanceof Status.Failed).count();
    progress.println("suite: " + (total - failed) + " of " + total + " without failure in " + duration(Duration.ofNanos(System.nanoTime() - suiteStart))
        + "; index " + options.reports().resolve("suite.md"));
    return failed == 0 ? 0 : 1;
  }

  /** Runs one benchmark in a child JVM, copying its output to its log and, indented, to {@code progress}. */
  private static Result runOne(Benchmark b, Path report, Path log, boolean quick, PrintStream progress) throws IOException, InterruptedException {
    Files.deleteIfExists(report);
    long start = System.nanoTime();
    Process process = new ProcessBuilder(b.command(report.toAbsolutePath(), quick)).redirectErrorStream(true).start();
    String lastLine = "";
    String note = null;
    try (Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
        var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        out.write(line);
        out.write('\n');
        progress.println("    " + b.name() + " | " + line);
        if (!line.isBlank()) lastLine = line.strip();
        if (b.notePrefix() != null && line.startsWith(b.notePrefix())) note = line.strip();
      }
    }
    int exit = process.waitFor();
    Duration wall = Duration.ofNanos(System.nanoTime() - start);
    Status status;
    if (exit != 0) status = new Status.Failed("exit " + exit + ": " + abbreviate(lastLine));
    else if (!Files.isRegularFile(report)) status = new Status.Failed("exited 0 but wrote no report to " + report);
    else status = new Status.Ok(Optional.ofNullable(note));
    return new Result(b, status, wall, report, log);
  }

  private static String abbreviate(String line) {
    return line.length() <= 300 ? line : line.substring(0, 297) + "...";
  }

  static String describe(Status status) {
    return switch (status) {
      case Status.Ok ok -> ok.note().map(n -> "ok (" + n + ")").orElse("ok");
      case Status.Skipped s -> "skipped: " + s.reason();
      case Status.Failed f -> "failed: " + f.error();
    };
  }

  static String duration(Duration d) {
    long s = Math.round(d.toMillis() / 1000.0);
    return s < 60 ? s + " s" : s / 60 + " min " + s % 60 + " s";
  }

  static void writeIndex(Options options, String commandLine, ZonedDateTime started, List<Result> results, Duration wall) throws IOException {
    Files.writeString(options.reports().resolve("suite.md"), index(options, commandLine, started, results, wall));
  }

  static String index(Options options, String commandLine, ZonedDateTime started, List<Result> results, Duration wall) {
    var md = new StringBuilder("# FedGrid benchmark suite\n\n");
    md.append("Started ").append(started.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")))
        .append(" (UTC) by `dev.fedgrid.bench.Suite").append(commandLine.isEmpty() ? "" : " " + commandLine).append("`; ")
        .append(results.size()).append(" of ").append(options.selected().size()).append(" benchmarks done in ").append(duration(wall)).append(".\n\n");
    if (options.quick()) md.append("**Quick smoke run** (`--quick`): small settings; its figures check that each benchmark runs and are not results.\n\n");
    md.append("## Machine\n\n| | |\n|---|---|\n").append(Machine.tableRows()).append('\n');
    md.append("## Benchmarks\n\n| benchmark | status | wall time | report | log |\n|---|---|---:|---|---|\n");
    for (Result r : results) {
      boolean ran = !(r.status() instanceof Status.Skipped);
      md.append("| ").append(r.benchmark().name()).append(" | ").append(describe(r.status()).replace("|", "\\|")).append(" | ")
          .append(ran ? duration(r.wall()) : "–").append(" | ")
          .append(Files.isRegularFile(r.report()) && !(r.status() instanceof Status.Failed) ? link(options.reports(), r.report()) : "–").append(" | ")
          .append(ran ? link(options.reports(), r.log()) : "–").append(" |\n");
    }
    return md.toString();
  }

  private static String link(Path dir, Path file) {
    String relative = dir.toAbsolutePath().relativize(file.toAbsolutePath()).toString();
    return "[" + relative + "](" + relative + ")";
  }
}
