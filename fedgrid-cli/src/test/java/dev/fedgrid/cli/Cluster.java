package dev.fedgrid.cli;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.job.Job;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/** Helpers for the cross-process integration tests, on top of {@link LocalGrid}. */
final class Cluster {
  private Cluster() {}

  /** Polls the job until {@code condition} holds; fails with the job and the logs' tails otherwise. */
  static Job awaitJob(LocalGrid grid, JobId id, Predicate<Job> condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Job job = null;
    while (System.nanoTime() < deadline) {
      try {
        job = grid.client().job(id);
        if (condition.test(job)) return job;
      } catch (RuntimeException e) {
        // the gateway may be restarting
      }
      Thread.sleep(100);
    }
    throw new AssertionError("job " + id + " never met the condition within " + timeout + "; last seen: " + job + grid.tails());
  }

  /** Splits the breast-cancer data IID into {@code parts} CSV files under {@code dir}. */
  static List<Path> splitCancer(Path dir, int parts, long seed) throws IOException {
    return DemoData.splitCancer(dir, parts, DemoData.Partition.parse("iid", seed));
  }
}
