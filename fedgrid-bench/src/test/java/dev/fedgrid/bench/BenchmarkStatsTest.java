package dev.fedgrid.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.JobId;
import dev.fedgrid.gateway.state.JobEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order statistics and the splitting of a job's event log into rounds that the reports rest on. */
class BenchmarkStatsTest {
  @Test
  void medianAndNearestRankPercentile() {
    double[] samples = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
    assertThat(Stats.median(samples)).isEqualTo(5.5);
    assertThat(Stats.median(new double[] {3, 1, 2})).isEqualTo(2);
    assertThat(Stats.percentile(samples, 90)).isEqualTo(9);
    assertThat(Stats.percentile(samples, 91)).isEqualTo(10);
    assertThat(Stats.percentile(samples, 100)).isEqualTo(10);
    assertThat(Stats.percentile(samples, 1)).isEqualTo(1);
    assertThat(samples[0]).as("the samples are not sorted in place").isEqualTo(5);
    assertThatThrownBy(() -> Stats.percentile(samples, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Stats.median(new double[0])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void roundsRunFromOneRoundCompletedEventToTheNextAndCountTheirCommits() {
    JobId job = JobId.random();
    Instant t0 = Instant.parse("2026-11-23T00:00:00Z");
    var events = new ArrayList<JobEvent>();
    String[] types = {"queued", "started", "round_started", "round_completed", "round_started", "node_failed", "round_completed", "completed"};
    long[] millis = {0, 5, 6, 10, 11, 15, 25, 26};
    for (int i = 0; i < types.length; i++) events.add(new JobEvent(job, i + 1, types[i], "", t0.plusMillis(millis[i])));

    List<CoordinatorOverheadBenchmark.Round> rounds = CoordinatorOverheadBenchmark.rounds(events);

    // round 1: started (5 ms) to its round_completed (10 ms): 2 events and the checkpoint
    // round 2: 10 ms to 25 ms: round_started, node_failed, round_completed and the checkpoint
    assertThat(rounds).containsExactly(new CoordinatorOverheadBenchmark.Round(1, 5.0, 3), new CoordinatorOverheadBenchmark.Round(2, 15.0, 4));
  }
}
