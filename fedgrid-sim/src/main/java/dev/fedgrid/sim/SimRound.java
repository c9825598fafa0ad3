package dev.fedgrid.sim;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.NodeFailure;
import java.util.List;
import java.util.Map;

/**
 * One simulated round as the results files report it.
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
    Map<NodeId, Long> contributions) {}
