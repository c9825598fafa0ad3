package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.job.SecureAggregation;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SecAgg+ across processes on TLS: a gateway and three nodes as child processes, real training on
 * the breast-cancer data. One node is killed at an exact protocol stage (the test-only {@code
 * FEDGRID_TEST_SECAGG_EXIT_BEFORE=MASKED_INPUT} halts it after it shared its keys, before its masked
 * input), so the first round must reconstruct its masking key to remove the pairwise masks it left
 * in the others' inputs. The job completes, and a plaintext job with the same settings on the same
 * surviving nodes reaches the same accuracy within quantization error.
 */
class SecureAggregationIT {
  @TempDir Path dir;

  @Test
  void aNodeKilledAfterSharingItsKeysIsRecoveredAndTrainingMatchesThePlaintextRun() throws Exception {
    try (LocalGrid grid = new LocalGrid(dir).startGateway()) {
      List<Path> parts = Cluster.splitCancer(dir.resolve("data"), 3, 11);
      for (int i = 0; i < 2; i++) grid.startNode("hospital-" + (i + 1), "name=cancer,path=" + parts.get(i) + ",label=benign");
      grid.startNode("hospital-3", "name=cancer,path=" + parts.get(2) + ",label=benign", grid.fleetAddress(),
          Map.of("FEDGRID_TEST_SECAGG_EXIT_BEFORE", "MASKED_INPUT"));
      grid.awaitNodes(Duration.ofMinutes(3));
      var victim = grid.client().nodes().stream().filter(n -> n.name().equals("hospital-3")).findFirst().orElseThrow();
      var training = new TrainingConfig(2, 16, null, 0.1, null, 5L);
      var secure = new JobSpec("secagg", List.of("cancer"), ModelSpec.logisticRegression(), training, new StrategyConfig.FedAvg(), 3, 2, 60, true, null, null,
          null, null, null, new SecureAggregation(null, null, null, null, null, 10));

      Job job = grid.client().submitJob(secure);
      Job done = Cluster.awaitJob(grid, job.id(), j -> j.state().isTerminal(), Duration.ofMinutes(2));
      assertThat(done.state()).as(done.message()).isEqualTo(JobState.COMPLETED);
      assertThat(done.spec().secureAggregation()).isNotNull();
      List<RoundSummary> rounds = grid.client().rounds(job.id());
      assertThat(rounds).extracting(RoundSummary::round).containsExactly(1, 2, 3);
      RoundSummary first = rounds.getFirst();
      assertThat(first.nodes()).contains(victim.id());
      assertThat(first.updates()).isEqualTo(2);
      assertThat(first.failures()).filteredOn(f -> f.phase().equals("fit")).extracting(NodeFailure::node).containsExactly(victim.id());
      assertThat(first.failures()).filteredOn(f -> f.phase().equals("fit")).extracting(NodeFailure::reason)
          .allMatch(r -> r.contains("SecAgg+ stage MASKED_INPUT"));
      assertThat(rounds).allSatisfy(r -> assertThat(r.fitMetrics()).isEmpty());
      assertThat(Files.readString(grid.node("hospital-3").log())).contains("halting before SecAgg+ MASKED_INPUT");

      // the same job in plaintext trains on the same two nodes in every round
      Job plain = grid.client().submitJob(secure.withSecureAggregation(null));
      Job plainDone = Cluster.awaitJob(grid, plain.id(), j -> j.state().isTerminal(), Duration.ofMinutes(2));
      assertThat(plainDone.state()).as(plainDone.message()).isEqualTo(JobState.COMPLETED);
      double secureAccuracy = done.metrics().get("accuracy");
      assertThat(secureAccuracy).isGreaterThan(0.85);
      assertThat(secureAccuracy).isCloseTo(plainDone.metrics().get("accuracy"), within(0.02));
      assertThat(done.metrics().get("loss")).isCloseTo(plainDone.metrics().get("loss"), within(0.01));
    }
  }
}
