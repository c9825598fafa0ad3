package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedgrid sim} on the breast-cancer CSV: 20 virtual nodes, one of them Byzantine, with drop-outs. */
class SimCommandTest {
  private static final String DATA = "../data/breast_cancer_wisconsin.csv";

  @TempDir Path dir;

  @Test
  void aSmallSimulationWritesItsResultsAndReportsEachRound() throws Exception {
    CliHelpTest.Run r = CliHelpTest.run("sim", "--data", DATA, "--label", "benign", "--model", "logistic", "--nodes", "20", "--rounds", "3",
        "--byzantine", "1", "--attack", "sign-flip", "--strategy", "fedmedian", "--dropout", "0.05", "--seed", "7", "--engines", "2", "--out",
        dir.toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("simulating 3 rounds: 20 nodes (IID)", "Byzantine 1 node(s)", "round 1/3", "round 3/3", "updates ", "heap ");
    assertThat(r.out()).contains("simulation completed after 3/3 rounds", "accuracy", "wrote " + dir.resolve("rounds.csv").toAbsolutePath());
    for (String f : List.of("rounds.csv", "results.json", "plot.svg")) assertThat(dir.resolve(f)).isNotEmptyFile();

    List<String> rows = Files.readAllLines(dir.resolve("rounds.csv"));
    assertThat(rows).hasSize(4);
    assertThat(rows.getFirst()).startsWith("round,outcome,sampled,byzantine,updates");
    int dropouts = 0;
    for (String row : rows.subList(1, rows.size())) {
      String[] c = row.split(",");
      assertThat(c[1]).isEqualTo("completed");
      assertThat(c[2]).isEqualTo("20"); // every node sampled
      assertThat(c[3]).isEqualTo("1"); // the Byzantine node among them
      dropouts += Integer.parseInt(c[7]);
      assertThat(c[6]).isEqualTo(c[7]); // every failure a drop-out (failed in both phases)
      assertThat(Integer.parseInt(c[4])).isBetween(2, 20);
    }
    assertThat(dropouts).as("drop-outs over the three rounds").isPositive();
    // the median shrugs off one sign-flipping node
    assertThat(Double.parseDouble(rows.getLast().split(",")[10])).isGreaterThan(0.8);
    assertThat(Files.readString(dir.resolve("results.json"))).contains("\"nodes\": \"20\"", "node went offline", "\"byzantine\": 1");
    assertThat(Files.readString(dir.resolve("plot.svg"))).startsWith("<svg");
  }

  @Test
  void theJsonSummaryNamesTheFiles() {
    CliHelpTest.Run r = CliHelpTest.run("sim", "--data", DATA, "--label", "benign", "--model", "logistic", "--nodes", "10", "--per-round", "5",
        "--rounds", "1", "--min-nodes", "1", "--engines", "1", "--json", "--out", dir.toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"completed\" : true", "\"rounds\" : 1", "\"accuracy\"", "results.json");
  }

  @Test
  void quantitySkewTakesAnAlpha() throws Exception {
    CliHelpTest.Run r = CliHelpTest.run("sim", "--data", DATA, "--label", "benign", "--model", "logistic", "--nodes", "10", "--rounds", "1",
        "--min-nodes", "1", "--engines", "1", "--partition", "quantity:0.2", "--out", dir.toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("quantity skew, Dirichlet α = 0.2 over node sizes");
    assertThat(Files.readString(dir.resolve("results.json"))).contains("quantity skew, Dirichlet α = 0.2 over node sizes");
  }

  @Test
  void secureAggregationRunsTheSecAggStagesAndRecoversNodesKilledAfterSharingKeys() throws Exception {
    CliHelpTest.Run r = CliHelpTest.run("sim", "--data", DATA, "--label", "benign", "--model", "logistic", "--nodes", "8", "--rounds", "2",
        "--secure-aggregation", "secagg+", "--threshold", "3", "--min-nodes", "3", "--secagg-dropout", "0.25", "--seed", "3", "--engines", "1", "--out", dir.toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("secure aggregation secagg+", "SecAgg+ drop-out after sharing keys 0.25");
    assertThat(r.out()).contains("simulation completed after 2/2 rounds");
    assertThat(Files.readString(dir.resolve("results.json"))).contains("node went offline during SecAgg+ stage MASKED_INPUT");
  }

  @Test
  void secureAggregationWithARobustStrategyIsRefusedNamingTheOnesThatWork() {
    CliHelpTest.Run r = CliHelpTest.run("sim", "--data", DATA, "--label", "benign", "--model", "logistic", "--nodes", "8", "--strategy", "fedmedian",
        "--secure-aggregation", "secagg+", "--out", dir.toString());
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("fedmedian needs every individual update", "fedavg, fedprox, fedavgm");
  }

  @Test
  void conflictingOptionsAreUsageErrors() {
    String[] base = {"sim", "--data", DATA, "--label", "benign", "--model", "logistic", "--nodes", "10", "--out", dir.toString()};
    assertThat(run(base, "--per-round", "5", "--sample-fraction", "0.5").err()).contains("--per-round or --sample-fraction, not both");
    assertThat(run(base, "--partition", "zipf").err()).contains("--partition is iid, dirichlet:ALPHA");
    for (String bad : new String[] {"quantity:0", "quantity:-1", "quantity:NaN", "quantity:Infinity", "quantity:lots", "dirichlet:0"}) {
      assertThat(run(base, "--partition", bad).err()).contains("quantity[:ALPHA]", "ALPHA a finite number above 0", "not '" + bad + "'");
    }
    assertThat(run(base, "--tolerate", "1").err()).contains("--tolerate applies to krum");
    assertThat(run(base, "--attack", "bribe").err()).contains("unknown attack");
    assertThat(run(base, "--mu", "0.1").err()).contains("--mu applies only to --strategy fedprox");
    assertThat(run(base, "--neighbours", "4").err()).contains("apply only with --secure-aggregation secagg+");
    assertThat(run(base, "--secagg-dropout", "0.1").err()).contains("--secagg-dropout applies only with --secure-aggregation");
    assertThat(run(base, "--secure-aggregation", "secagg").err()).contains("--secure-aggregation must be secagg+");
    assertThat(run(new String[] {"sim", "--data", DATA, "--model", "logistic", "--out", dir.toString()}).err()).contains("--label is required");
    assertThat(dir).isEmptyDirectory();
  }

  private static CliHelpTest.Run run(String[] base, String... extra) {
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    CliHelpTest.Run r = CliHelpTest.run(args);
    assertThat(r.code()).as(r.err()).isEqualTo(Main.USAGE);
    return r;
  }
}
