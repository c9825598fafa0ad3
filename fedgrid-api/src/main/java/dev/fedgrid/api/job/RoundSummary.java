package dev.fedgrid.api.job;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One completed round of a job.
 *
 * @param nodes the nodes given a fit task
 * @param updates successful updates aggregated
 * @param examples training examples behind those updates
 * @param failures nodes that failed either phase, and why
 * @param fitMetrics the nodes' training metrics, averaged weighted by examples
 * @param evalMetrics federated evaluation of the new global model on the nodes' test splits,
 *     averaged weighted by test examples
 * @param epsilon for a job with differential privacy, the epsilon spent by the rounds completed so
 *     far, this one included (at the job's delta); {@code null} without differential privacy
 * @param contributions what each node whose update was aggregated put in: training examples
 *     processed, that is examples per epoch times local epochs (for metering and contribution
 *     reports); empty for rounds recorded before it was kept
 * @param resources what each node whose update was aggregated used in the round, its fit and
 *     evaluate tasks together: CPU time it reported and bytes moved for it (for metering; not a
 *     contribution measure); empty for rounds recorded before it was kept
 */
public record RoundSummary(
    JobId jobId,
    int round,
    Instant startedAt,
    Instant finishedAt,
    List<NodeId> nodes,
    int updates,
    long examples,
    List<NodeFailure> failures,
    Map<String, Double> fitMetrics,
    Map<String, Double> evalMetrics,
    Double epsilon,
    Map<NodeId, Long> contributions,
    Map<NodeId, ResourceUsage> resources) {
  /**
   * The metrics everyone who may see a job sees, even while its results are held for release: the
   * aggregate loss and accuracy. Any other metric (AUC, per-class figures, ...) is a result that
   * leaves only when released.
   */
  public static final Set<String> AGGREGATE_METRICS = Set.of("loss", "accuracy");

  /** A round without per-node resource usage. */
  public RoundSummary(
      JobId jobId,
      int round,
      Instant startedAt,
      Instant finishedAt,
      List<NodeId> nodes,
      int updates,
      long examples,
      List<NodeFailure> failures,
      Map<String, Double> fitMetrics,
      Map<String, Double> evalMetrics,
      Double epsilon,
      Map<NodeId, Long> contributions) {
    this(jobId, round, startedAt, finishedAt, nodes, updates, examples, failures, fitMetrics, evalMetrics, epsilon, contributions, Map.of());
  }

  /** A round without per-node contributions. */
  public RoundSummary(
      JobId jobId,
      int round,
      Instant startedAt,
      Instant finishedAt,
      List<NodeId> nodes,
      int updates,
      long examples,
      List<NodeFailure> failures,
      Map<String, Double> fitMetrics,
      Map<String, Double> evalMetrics,
      Double epsilon) {
    this(jobId, round, startedAt, finishedAt, nodes, updates, examples, failures, fitMetrics, evalMetrics, epsilon, Map.of());
  }

  /** A round of a job without differential privacy. */
  public RoundSummary(
      JobId jobId,
      int round,
      Instant startedAt,
      Instant finishedAt,
      List<NodeId> nodes,
      int updates,
      long examples,
      List<NodeFailure> failures,
      Map<String, Double> fitMetrics,
      Map<String, Double> evalMetrics) {
    this(jobId, round, startedAt, finishedAt, nodes, updates, examples, failures, fitMetrics, evalMetrics, null);
  }

  public RoundSummary {
    nodes = List.copyOf(nodes);
    failures = List.copyOf(failures);
    fitMetrics = Map.copyOf(fitMetrics);
    evalMetrics = Map.copyOf(evalMetrics);
    contributions = contributions == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(contributions));
    resources = resources == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(resources));
  }
}
