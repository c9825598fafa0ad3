package dev.fedgrid.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.bench.Suite.Benchmark;
import dev.fedgrid.bench.Suite.Options;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The suite's command line, and a run of real benchmark processes that ends in each of the three
 * statuses. The whole suite in {@code --quick} mode takes minutes, so it is not run here.
 */
class SuiteTest {
  private static final String COORDINATOR = "dev.fedgrid.bench.CoordinatorOverheadBenchmark";
  private static final List<String> TINY = List.of("--nodes", "4", "--jobs", "1", "--rounds", "2", "--warmup-rounds", "1");

  @Test
  void everyBenchmarkOfTheDocsIsInTheSuiteOnce() {
    assertThat(Suite.all()).extracting(Benchmark::name).containsExactlyInAnyOrder(
        "coordinator-overhead", "fleet-transfer", "aggregation", "training-throughput", "sim-scale", "fashion-mnist", "robustness", "accuracy", "secagg",
        "sim-secagg-scale");
  }

  @Test
  void onlySelectsByNameInTheSuitesOrderAndQuickWritesElsewhere() throws Exception {
    Options options = Options.parse(new String[] {"--only", "secagg, aggregation", "--quick"}, Suite.all());
    assertThat(options.selected()).extracting(Benchmark::name).containsExactly("aggregation", "secagg");
    assertThat(options.quick()).isTrue();
    assertThat(options.reports()).isEqualTo(Suite.REPORTS.resolve("quick"));

    Options full = Options.parse(new String[0], Suite.all());
    assertThat(full.selected()).hasSize(Suite.all().size());
    assertThat(full.reports()).isEqualTo(Suite.REPORTS);
    assertThat(Options.parse(new String[] {"--reports", "/tmp/r"}, Suite.all()).reports()).isEqualTo(Path.of("/tmp/r"));
  }

  @Test
  void refusesUnknownNamesAndOptionsAndSaysWhatExists() {
    assertThatThrownBy(() -> Options.parse(new String[] {"--only", "aggregation,acuracy"}, Suite.all()))
        .isInstanceOf(Suite.UsageException.class)
        .hasMessageContaining("'acuracy'")
        .hasMessageContaining("accuracy, secagg");
    assertThatThrownBy(() -> Options.parse(new String[] {"--only"}, Suite.all())).hasMessageContaining("--only needs");
    assertThatThrownBy(() -> Options.parse(new String[] {"--reports"}, Suite.all())).hasMessageContaining("--reports needs");
    assertThatThrownBy(() -> Options.parse(new String[] {"--fast"}, Suite.all())).hasMessageContaining("unknown option '--fast'");
  }

  @Test
  void runsEachBenchmarkInItsOwnProcessAndIndexesOkSkippedAndFailed(@TempDir Path reports) throws Exception {
    var ok = new Benchmark("tiny-coordinator", COORDINATOR, List.of(), List.of(), TINY, false, Optional::empty, null);
    var failing = new Benchmark("bad-option", COORDINATOR, List.of(), List.of(), List.of("--no-such-option"), false, Optional::empty, null);
    var skipped = new Benchmark("needs-data", COORDINATOR, List.of(), List.of(), TINY, false, () -> Optional.of("the data is not on this machine"), null);
    var options = new Options(List.of(ok, failing, skipped), true, reports, false);
    var progress = new ByteArrayOutputStream();

    int exit = Suite.run(options, "--quick", new PrintStream(progress, true, StandardCharsets.UTF_8));

    assertThat(exit).isEqualTo(1);
    String index = Files.readString(reports.resolve("suite.md"));
    assertThat(index).contains("| tiny-coordinator | ok | ", "[tiny-coordinator.md](tiny-coordinator.md)");
    assertThat(index).contains("| bad-option | failed: exit 2: unknown option --no-such-option");
    assertThat(index).contains("| needs-data | skipped: the data is not on this machine | – | – | – |");
    assertThat(index).contains("3 of 3 benchmarks done", "Quick smoke run");
    assertThat(Files.readString(reports.resolve("tiny-coordinator.md"))).contains("Coordinator overhead");
    assertThat(reports.resolve("bad-option.md")).doesNotExist();
    assertThat(reports.resolve("needs-data.md")).doesNotExist();
    assertThat(Files.readString(reports.resolve("logs/bad-option.log"))).contains("unknown option --no-such-option");
    assertThat(progress.toString(StandardCharsets.UTF_8)).contains("[1/3] tiny-coordinator: started (quick)", "[3/3] needs-data: skipped", "suite: 2 of 3 without failure");
  }
}
