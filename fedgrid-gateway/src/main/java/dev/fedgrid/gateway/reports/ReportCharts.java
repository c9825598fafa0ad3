package dev.fedgrid.gateway.reports;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.job.RoundSummary;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The charts of a job report, computed from what the viewer may see: metrics per round, epsilon
 * over rounds, and each node's contribution. Stateless and thread-safe.
 */
final class ReportCharts {
  /** The phase of a failed fit in {@link NodeFailure#phase()}. */
  private static final String FIT = "fit";

  private ReportCharts() {}

  static Chart chart(JobReport report, String name) {
    return switch (name) {
      case "metrics" -> metrics(report);
      case "epsilon" -> epsilon(report);
      case "contribution" -> contribution(report);
      default -> throw new IllegalArgumentException("no chart " + name);
    };
  }

  static List<Chart> all(JobReport report) {
    return Chart.NAMES.stream().map(n -> chart(report, n)).toList();
  }

  /**
   * The federated evaluation metrics per round (loss and accuracy first, then the others in name
   * order, only those the viewer may see), and the training loss.
   */
  static Chart metrics(JobReport report) {
    List<RoundSummary> rounds = report.rounds();
    var names = new TreeSet<String>(Comparator.comparing((String m) -> m.equals("loss") ? 0 : m.equals("accuracy") ? 1 : 2).thenComparing(m -> m));
    rounds.forEach(r -> names.addAll(r.evalMetrics().keySet()));
    var series = new ArrayList<Chart.Series>();
    for (String metric : names) series.add(series(metric, rounds, r -> r.evalMetrics().get(metric)));
    if (rounds.stream().anyMatch(r -> r.fitMetrics().containsKey("loss"))) series.add(series("train loss", rounds, r -> r.fitMetrics().get("loss")));
    return new Chart("metrics", "Metrics per round (federated evaluation)", "round", "value", Chart.Kind.LINE, List.of(), series,
        report.rounds().isEmpty() ? "no round has completed yet" : "no metrics were reported");
  }

  /** Epsilon spent after each round, for a job with differential privacy. */
  static Chart epsilon(JobReport report) {
    var privacy = report.job().spec().privacy();
    String note = privacy == null ? "this job runs without differential privacy" : "no round has completed yet";
    List<Chart.Series> series = privacy == null
        ? List.of()
        : List.of(series("ε at δ = " + ChartPainter.number(privacy.delta(), 0), report.rounds(), RoundSummary::epsilon));
    return new Chart("epsilon", "Privacy spent: ε over rounds", "round", "ε", Chart.Kind.LINE, List.of(), series, note);
  }

  /**
   * Per node, the training examples it processed for the aggregated updates, summed over rounds
   * ({@link RoundSummary#contributions()}). For rounds recorded before contributions were kept, the
   * rounds it was asked to train in and the updates it delivered (those rounds minus its failed
   * fits) instead, labelled as such.
   */
  static Chart contribution(JobReport report) {
    List<RoundSummary> rounds = report.rounds();
    boolean examples = !rounds.isEmpty() && rounds.stream().allMatch(r -> !r.contributions().isEmpty());
    var categories = new ArrayList<String>();
    var series = new ArrayList<Chart.Series>();
    if (examples) {
      var sums = new LinkedHashMap<NodeId, Long>();
      for (RoundSummary r : rounds) {
        r.nodes().forEach(n -> sums.putIfAbsent(n, 0L));
        r.contributions().forEach((n, c) -> sums.merge(n, c, Long::sum));
      }
      var points = new ArrayList<Chart.Point>();
      sums.forEach((n, c) -> {
        points.add(new Chart.Point(categories.size(), c));
        categories.add(n.value());
      });
      series.add(new Chart.Series("training examples processed", points));
      return new Chart("contribution", "Contribution per node (training examples processed)", "node", "examples", Chart.Kind.BARS, categories, series,
          "no node has taken part yet");
    }
    var taken = new ArrayList<Chart.Point>();
    var delivered = new ArrayList<Chart.Point>();
    counts(rounds).forEach((n, c) -> {
      taken.add(new Chart.Point(categories.size(), c[0]));
      delivered.add(new Chart.Point(categories.size(), c[1]));
      categories.add(n.value());
    });
    series.add(new Chart.Series("rounds taken part in", taken));
    series.add(new Chart.Series("updates delivered", delivered));
    return new Chart("contribution", "Contribution per node (rounds taken part in, updates delivered)", "node", "rounds", Chart.Kind.BARS, categories, series,
        "no node has taken part yet");
  }

  /** Per node, in order of first appearance: rounds given a fit task, and updates delivered. */
  static Map<NodeId, int[]> counts(List<RoundSummary> rounds) {
    var counts = new LinkedHashMap<NodeId, int[]>();
    for (RoundSummary r : rounds) {
      Set<NodeId> failedFit = new LinkedHashSet<>();
      for (NodeFailure f : r.failures()) if (FIT.equals(f.phase())) failedFit.add(f.node());
      for (NodeId node : r.nodes()) {
        int[] c = counts.computeIfAbsent(node, n -> new int[2]);
        c[0]++;
        if (!failedFit.contains(node)) c[1]++;
      }
    }
    return counts;
  }

  private static Chart.Series series(String label, List<RoundSummary> rounds, java.util.function.Function<RoundSummary, Double> value) {
    var points = new ArrayList<Chart.Point>();
    for (RoundSummary r : rounds) {
      Double v = value.apply(r);
      if (v != null && Double.isFinite(v)) points.add(new Chart.Point(r.round(), v));
    }
    return new Chart.Series(label, points);
  }
}
