package dev.fedgrid.api.job;

import dev.fedgrid.api.JobId;
import java.time.Instant;
import java.util.Map;

/**
 * A job as the gateway tracks it.
 *
 * @param completedRounds rounds whose aggregate has been checkpointed
 * @param message why the job waits, failed or was cancelled; empty while all is well
 * @param metrics the latest round's federated evaluation metrics (weighted by examples)
 * @param owner the login name of the user who submitted the job; empty for jobs stored before
 *     users existed
 */
public record Job(
    JobId id,
    JobSpec spec,
    JobState state,
    int completedRounds,
    String message,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    Map<String, Double> metrics,
    String owner) {
  public Job {
    owner = owner == null ? "" : owner;
    message = message == null ? "" : message;
    metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
  }
}
