package dev.fedgrid.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link AggregationBenchmark} with a short schedule (2 forks, 2 warm-up and 3 measured
 * iterations of 1 s; about two minutes) and writes a Markdown report with the
 * machine, each kernel's throughput in GB/s of update bytes consumed, and its ratio to the
 * read-only baseline.
 *
 * <p>Usage, from the repository root: {@code java --add-modules jdk.incubator.vector -cp
 * fedgrid-bench/target/benchmarks.jar dev.fedgrid.bench.AggregationReport [report.md] [--quick]}; the
 * report goes to {@code fedgrid-bench/target/reports/aggregation.md} unless a path is given. {@code
 * --quick} is a smoke run for {@link Suite} (1 fork, 1 warm-up and 1 measured iteration, 1 Mi floats
 * only; about 20 s).
 */
public final class AggregationReport {
  private static final String DEFAULT_OUTPUT = "fedgrid-bench/target/reports/aggregation.md";

  private AggregationReport() {}

  /** One measured kernel at one size. */
  record Row(String benchmark, int size, double millis, double millisError) {
    double gigabytesPerSecond() {
      return AggregationBenchmark.bytesPerOperation(size) / (millis * 1e6);
    }
  }

  public static void main(String[] args) throws RunnerException, IOException {
    Path output = Path.of(DEFAULT_OUTPUT);
    boolean quick = false;
    for (String arg : args) {
      if (arg.equals("--quick")) quick = true;
      else output = Path.of(arg);
    }
    var builder =
        new OptionsBuilder()
            .include(AggregationBenchmark.class.getName() + "\\.")
            .forks(quick ? 1 : 2)
            .warmupIterations(quick ? 1 : 2)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(quick ? 1 : 3)
            .measurementTime(TimeValue.seconds(1));
    if (quick) builder.param("size", "1048576");
    Options options = builder.build();
    Collection<RunResult> results = new Runner(options).run();

    var rows = new ArrayList<Row>();
    for (RunResult r : results) {
      String label = r.getParams().getBenchmark();
      rows.add(
          new Row(
              label.substring(label.lastIndexOf('.') + 1),
              Integer.parseInt(r.getParams().getParam("size")),
              r.getPrimaryResult().getScore(),
              r.getPrimaryResult().getScoreError()));
    }
    List<String> order = List.of("readBaseline", "foldVector", "foldPlain", "roundVector", "roundPlain");
    rows.sort(Comparator.comparingInt(Row::size).thenComparing(r -> order.indexOf(r.benchmark())));
    String report = render(rows, quick);
    Files.createDirectories(output.toAbsolutePath().getParent());
    Files.writeString(output, report);
    System.out.println(report);
    System.out.println("Report written to " + output.toAbsolutePath());
  }

  static String render(List<Row> rows, boolean quick) {
    var md = new StringBuilder();
    md.append("# Aggregation kernel\n\n");
    md.append("Measured ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE)).append(" (UTC) by `dev.fedgrid.bench.AggregationReport`.\n\n");
    md.append("## Machine\n\n");
    md.append("| | |\n|---|---|\n");
    md.append(Machine.tableRows());
    md.append(quick ? "| JMH schedule | **quick smoke run** (`--quick`): 1 fork x (1 warm-up + 1 measured iteration of 1 s), 1 Mi floats only |\n\n"
        : "| JMH schedule | 2 forks x (2 warm-up + 3 measured iterations of 1 s), forks run with `--add-modules=jdk.incubator.vector -Xmx4g` |\n\n");
    md.append("## Results\n\n");
    md.append("Every operation consumes ").append(AggregationBenchmark.UPDATES).append(" updates. *fold*: the updates are added to a `WeightedSum` that lives across ");
    md.append("operations (the steady state of a round with many nodes). *round*: a new `WeightedSum`, the adds and `mean()`, which also allocates ");
    md.append("the accumulator and copies the mean out. GB/s is update bytes consumed (8 x 4 x floats per update) per second, 1 GB = 10^9 bytes. ");
    md.append("The baseline only reads the same updates (SIMD sum with four accumulators); a fold pass also reads and ");
    md.append("writes the accumulator once per four updates (24 bytes moved per 16 bytes of updates).\n\n");
    md.append("| kernel | floats per update | MB of updates per op | time per op (ms) | GB/s | share of read baseline |\n");
    md.append("|---|---:|---:|---:|---:|---:|\n");
    for (Row row : rows) {
      Optional<Row> baseline = rows.stream().filter(b -> b.size() == row.size() && b.benchmark().equals("readBaseline")).findFirst();
      md.append("| ").append(describe(row.benchmark())).append(" | ").append(row.size());
      md.append(" | ").append(AggregationBenchmark.bytesPerOperation(row.size()) / 1_000_000);
      md.append(" | ").append(String.format(Locale.ROOT, "%.3f ± %.3f", row.millis(), row.millisError()));
      md.append(" | ").append(String.format(Locale.ROOT, "%.1f", row.gigabytesPerSecond()));
      md.append(" | ").append(baseline.map(b -> String.format(Locale.ROOT, "%.2f", row.gigabytesPerSecond() / b.gigabytesPerSecond())).orElse("–"));
      md.append(" |\n");
    }
    md.append("\n± is JMH's 99.9% confidence interval over the measured iterations.\n");
    return md.toString();
  }

  private static String describe(String benchmark) {
    return switch (benchmark) {
      case "foldVector" -> "fold, Vector API kernel";
      case "foldPlain" -> "fold, plain loop kernel";
      case "roundVector" -> "round, Vector API kernel";
      case "roundPlain" -> "round, plain loop kernel";
      case "readBaseline" -> "read-only baseline";
      default -> benchmark;
    };
  }
}
