package dev.fedgrid.sim;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.NodeFailure;
import java.util.List;
import java.util.Map;

/**
 * One simulated round as the results files report it, per-client detail included. {@link
 * Simulation#run} hands each round's record to its progress callback as the round ends and keeps
 * only its {@link #summary()}: write the record out (e.g. with {@link SimReport.Writer}) there, as
 * the simulation does not retain it.
 *
 * @param outcome {@code completed}, {@code sample-too-small} or {@code too-few-updates}
 * @param sampled nodes given a fit task
 * @param byzantine Byzantine nodes among them
 * @param failures nodes that failed a phase, and why (drop-outs: "node went offline"; stragglers
 *     past the deadline: "no result before the deadline")
 * @param epsilon epsilon spent so far with differential privacy, else {@code null}
 * @param virtualSeconds the round's length on the virtual clock
 * @param wallMillis the round's real time
 * @param heapBytes heap in use after the round
 * @param contributions examples x epochs per node whose update was aggregated
 */
public record SimRound(
    int round,
    String outcome,
    int sampled,
    int byzantine,
    int updates,
    long examples,
    List<NodeFailure> failures,
    Map<String, Double> fitMetrics,
    Map<String, Double> evalMetrics,
    Double epsilon,
    long virtualSeconds,
    long wallMillis,
    long heapBytes,
    Map<NodeId, Long> contributions) {

  /** This round's figures without per-client data: what {@link Simulation#run} keeps of it. */
  public Summary summary() {
    return new Summary(round, outcome, sampled, byzantine, updates, examples, failures.size(), failures(this, "went offline"), failures(this, "deadline"),
        Map.copyOf(fitMetrics), Map.copyOf(evalMetrics), epsilon, virtualSeconds, wallMillis, heapBytes);
  }

  static int failures(SimRound r, String reason) {
    return (int) r.failures().stream().filter(f -> f.reason().contains(reason)).count();
  }

  /**
   * A round's summary figures, of a size that does not depend on the number of clients.
   *
   * @param failures phase failures (a node can fail more than one phase)
   * @param dropouts failures of nodes that went offline
   * @param late failures of results that missed the deadline
   * @param fitMetrics mean training metrics (a few named figures)
   * @param evalMetrics mean evaluation metrics (a few named figures)
   */
  public record Summary(
      int round,
      String outcome,
      int sampled,
      int byzantine,
      int updates,
      long examples,
      int failures,
      int dropouts,
      int late,
      Map<String, Double> fitMetrics,
      Map<String, Double> evalMetrics,
      Double epsilon,
      long virtualSeconds,
      long wallMillis,
      long heapBytes) {}
}
