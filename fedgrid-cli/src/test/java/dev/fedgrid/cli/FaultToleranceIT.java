package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Optimizer;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.client.JobEventView;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults across processes: a node killed in the middle of a round, and a gateway killed in the
 * middle of a job. Local training is made slow enough (many epochs, small batches) that the kill
 * lands inside a round.
 */
class FaultToleranceIT {
  /** About a second of local training per round on this data. */
  private static final TrainingConfig SLOW = new TrainingConfig(100, 4, Optimizer.SGD, 0.01, 0.0, 7L);

  @TempDir Path dir;

  @Test
  void aNodeKilledMidRoundIsRecordedAndTheRoundCompletesWithTheOthers() throws Exception {
    try (LocalGrid cluster = new LocalGrid(dir).startGateway()) {
      List<Path> parts = Cluster.splitCancer(dir.resolve("data"), 3, 5);
      for (int i = 0; i < 3; i++) cluster.startNode("hospital-" + (i + 1), "name=cancer,path=" + parts.get(i) + ",label=benign");
      cluster.awaitNodes(Duration.ofMinutes(3));
      var victim = cluster.client().nodes().stream().filter(n -> n.name().equals("hospital-3")).findFirst().orElseThrow();
      Job job = cluster.client().submitJob(new JobSpec("faults", List.of("cancer"), ModelSpec.logisticRegression(), SLOW,
          new StrategyConfig.FedAvg(), 4, 2, 120, true));

      awaitEvent(cluster, job, "round_started", "round 2/");
      cluster.node("hospital-3").kill();

      Job done = Cluster.awaitJob(cluster, job.id(), j -> j.state().isTerminal(), Duration.ofMinutes(3));
      assertThat(done.state()).as(done.message()).isEqualTo(JobState.COMPLETED);
      List<RoundSummary> rounds = cluster.client().rounds(job.id());
      assertThat(rounds).extracting(RoundSummary::round).containsExactly(1, 2, 3, 4);
      RoundSummary second = rounds.get(1);
      assertThat(second.failures()).extracting(NodeFailure::node).contains(victim.id());
      assertThat(second.updates()).isEqualTo(2);
      assertThat(rounds.get(3).nodes()).doesNotContain(victim.id());
    }
  }

  @Test
  void aGatewayKilledMidJobResumesAndFinishesWithNoLostRound() throws Exception {
    try (LocalGrid cluster = new LocalGrid(dir).startGateway()) {
      List<Path> parts = Cluster.splitCancer(dir.resolve("data"), 2, 9);
      for (int i = 0; i < 2; i++) cluster.startNode("hospital-" + (i + 1), "name=cancer,path=" + parts.get(i) + ",label=benign");
      cluster.awaitNodes(Duration.ofMinutes(3));
      Job job = cluster.client().submitJob(new JobSpec("restart", List.of("cancer"), ModelSpec.logisticRegression(), SLOW,
          new StrategyConfig.FedAdam(null, null, null, null), 5, 2, 120, true));

      Cluster.awaitJob(cluster, job.id(), j -> j.completedRounds() >= 2, Duration.ofMinutes(2));
      cluster.gateway().kill(); // SIGKILL: no chance to clean up
      Job before = null;
      cluster.startGateway();
      before = cluster.client().job(job.id());
      assertThat(before.state()).isIn(JobState.RUNNING, JobState.COMPLETED);

      Job done = Cluster.awaitJob(cluster, job.id(), j -> j.state().isTerminal(), Duration.ofMinutes(3));
      assertThat(done.state()).as(done.message()).isEqualTo(JobState.COMPLETED);
      assertThat(cluster.client().rounds(job.id())).extracting(RoundSummary::round).containsExactly(1, 2, 3, 4, 5);
      assertThat(before.completedRounds()).isGreaterThanOrEqualTo(2);
    }
  }

  private static void awaitEvent(LocalGrid cluster, Job job, String type, String text) throws Exception {
    var found = new java.util.concurrent.CompletableFuture<JobEventView>();
    Thread watcher = Thread.ofVirtual().start(() -> {
      try {
        cluster.client().watch(job.id(), 0, e -> {
          if (e.type().equals(type) && e.message().contains(text)) found.complete(e);
        });
      } catch (RuntimeException e) {
        found.completeExceptionally(e);
      }
    });
    try {
      found.get(2, java.util.concurrent.TimeUnit.MINUTES);
    } finally {
      watcher.interrupt();
    }
  }
}
