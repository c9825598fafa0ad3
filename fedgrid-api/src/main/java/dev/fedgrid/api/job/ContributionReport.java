package dev.fedgrid.api.job;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What each node put into a job: its training examples processed (examples × local epochs) summed
 * over the job's completed rounds, and its share of the total. Examples × epochs is the contribution
 * measure of the compute market: time spent would reward slow hardware. Immutable.
 *
 * @param job the job
 * @param rounds the completed rounds counted
 * @param examplesEpochs the total over every node
 * @param nodes one entry per node whose update was aggregated at least once, largest first
 */
public record ContributionReport(JobId job, int rounds, long examplesEpochs, List<NodeContribution> nodes) {
  /**
   * One node's contribution.
   *
   * @param examplesEpochs examples × epochs over the rounds it took part in
   * @param rounds the rounds whose aggregate holds its update
   * @param share its fraction of the job's total, in [0, 1]
   */
  public record NodeContribution(NodeId node, long examplesEpochs, int rounds, double share) {}

  public ContributionReport {
    nodes = List.copyOf(nodes);
  }

  /** The report of {@code job} from its completed rounds' {@link RoundSummary#contributions()}. */
  public static ContributionReport of(JobId job, List<RoundSummary> rounds) {
    var totals = new TreeMap<NodeId, long[]>(); // node → {examples × epochs, rounds}
    long all = 0;
    for (RoundSummary r : rounds) {
      for (Map.Entry<NodeId, Long> c : r.contributions().entrySet()) {
        long[] t = totals.computeIfAbsent(c.getKey(), n -> new long[2]);
        t[0] = Math.addExact(t[0], c.getValue());
        t[1]++;
        all = Math.addExact(all, c.getValue());
      }
    }
    var nodes = new ArrayList<NodeContribution>();
    for (var e : totals.entrySet()) {
      nodes.add(new NodeContribution(e.getKey(), e.getValue()[0], (int) e.getValue()[1], all == 0 ? 0 : (double) e.getValue()[0] / all));
    }
    nodes.sort(Comparator.comparingLong(NodeContribution::examplesEpochs).reversed().thenComparing(n -> n.node().value()));
    return new ContributionReport(job, rounds.size(), all, nodes);
  }
}
