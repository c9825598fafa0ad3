package dev.fedgrid.gateway.reports;

import static dev.fedgrid.gateway.reports.Html.escape;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.gateway.json.Json;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A {@link JobReport} as one self-contained HTML page: inline CSS, the charts as inline SVG, no
 * script and no reference to anything outside the page, so it can be mailed, archived or printed as
 * it is. Every string that comes from a user or a node (names, messages, failure reasons, audit
 * details) is escaped.
 *
 * <p>Stateless and thread-safe.
 */
final class HtmlReport {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);
  private static final String CSS = """
      body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#24292f;margin:0 auto;max-width:1000px;padding:24px}
      h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
      .muted{color:#57606a}.id{font-family:ui-monospace,monospace}
      .badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#eaeef2;font-size:12px;vertical-align:middle}
      .state-completed{background:#dafbe1}.state-failed{background:#ffebe9}.state-running{background:#ddf4ff}.state-cancelled{background:#fff8c5}
      .notice{border:1px solid #d4a72c;background:#fff8c5;padding:8px 12px;border-radius:6px;margin:12px 0}
      table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
      th{background:#f6f8fa;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
      dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dl.facts dt{color:#57606a}dl.facts dd{margin:0}
      svg.chart{max-width:100%;height:auto;display:block;margin:8px 0;border:1px solid #eaeef2}
      code,.details{font-family:ui-monospace,monospace;font-size:12px}
      footer{margin-top:32px;color:#57606a;font-size:12px}
      @media print{body{padding:0}h2{break-after:avoid}svg.chart,table{break-inside:avoid}}
      """;

  private HtmlReport() {}

  static String render(JobReport report, List<Chart> charts) {
    Job job = report.job();
    JobSpec spec = job.spec();
    var html = new StringBuilder(32 * 1024);
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<meta name=\"generator\" content=\"FedGrid gateway\">")
        .append("<title>Job report: ").append(escape(spec.name())).append(" (").append(escape(job.id().value())).append(")</title>")
        .append("<style>").append(CSS).append("</style></head><body>\n");

    html.append("<header><h1>Job report: ").append(escape(spec.name())).append(" <span class=\"badge state-").append(job.state().wireName()).append("\">")
        .append(job.state().wireName()).append("</span></h1>")
        .append("<p class=\"muted\"><span class=\"id\">").append(escape(job.id().value())).append("</span> · generated ").append(time(report.generatedAt()))
        .append(" for ").append(escape(report.viewer())).append("</p></header>\n");
    html.append(resultsNotice(report.results()));

    section(html, "state", "State and timings");
    var state = new ArrayList<String[]>();
    state.add(new String[] {"State", job.state().wireName() + (job.message().isEmpty() ? "" : ": " + job.message())});
    state.add(new String[] {"Submitted by", job.owner().isEmpty() ? "(unknown: stored before users existed)" : job.owner()});
    state.add(new String[] {"Rounds", job.completedRounds() + " of " + spec.rounds() + " completed"});
    state.add(new String[] {"Created", time(job.createdAt())});
    state.add(new String[] {"Started", time(job.startedAt())});
    state.add(new String[] {"Finished", time(job.finishedAt())});
    if (job.startedAt() != null) state.add(new String[] {"Queued for", duration(Duration.between(job.createdAt(), job.startedAt()))});
    if (job.startedAt() != null) {
      Instant end = job.finishedAt() != null ? job.finishedAt() : report.generatedAt();
      state.add(new String[] {job.finishedAt() != null ? "Ran for" : "Running for", duration(Duration.between(job.startedAt(), end))});
    }
    if (!job.metrics().isEmpty()) state.add(new String[] {"Latest metrics", metrics(job.metrics())});
    facts(html, state);

    section(html, "configuration", "Configuration");
    var config = new ArrayList<String[]>();
    config.add(new String[] {"Name", spec.name()});
    config.add(new String[] {"Model", spec.model().layers().size() + " layer(s), loss " + wire(spec.model().loss())});
    config.add(new String[] {"Strategy", wire(spec.strategy())});
    config.add(new String[] {"Rounds", spec.rounds().toString()});
    config.add(new String[] {"Fewest nodes per round", spec.minNodes().toString()});
    config.add(new String[] {"Sample fraction", ChartPainter.number(spec.sampleFraction(), 0) + (spec.sampleFraction() < 1 ? " (each node is drawn with this probability per round)" : " (every node in every round)")});
    config.add(new String[] {"Round timeout", spec.roundTimeoutSeconds() + " s"});
    config.add(new String[] {"Local training", wire(spec.training())});
    config.add(new String[] {"Standardize features", spec.standardize() ? "yes, with the pooled column statistics" : "no"});
    config.add(new String[] {"Differential privacy", spec.privacy() == null ? "none" : spec.privacy().mode().wireName() + ": " + wire(spec.privacy())});
    facts(html, config);
    html.append("<h3>Model layers</h3><table id=\"layers\"><thead><tr><th class=\"num\">#</th><th>Layer</th></tr></thead><tbody>");
    for (int i = 0; i < spec.model().layers().size(); i++) {
      html.append("<tr><td class=\"num\">").append(i).append("</td><td>").append(escape(wire(spec.model().layers().get(i)))).append("</td></tr>");
    }
    html.append("</tbody></table>\n");
    html.append("<h3>Datasets</h3><table id=\"datasets\"><thead><tr><th>Dataset</th><th>Name</th><th>Visibility</th><th>Node</th></tr></thead><tbody>");
    for (JobReport.Dataset d : report.datasets()) {
      html.append("<tr><td class=\"id\">").append(escape(d.reference())).append("</td><td>").append(escape(d.name().orElse("(removed)")))
          .append("</td><td>").append(d.visibility().map(v -> v.name().toLowerCase(java.util.Locale.ROOT)).orElse("unknown"))
          .append("</td><td class=\"id\">").append(escape(d.node().orElse(""))).append("</td></tr>");
    }
    html.append("</tbody></table>\n");

    section(html, "charts", "Charts");
    for (Chart chart : charts) {
      html.append("<figure id=\"chart-").append(chart.name()).append("\" style=\"margin:0\">").append(SvgChart.render(chart));
      if (chart.name().equals("contribution")) {
        html.append("<figcaption class=\"muted\">").append(chart.yLabel().equals("examples")
            ? "Training examples each node processed for its aggregated updates (examples per epoch times local epochs), summed over rounds."
            : "Rounds each node was asked to train in, and the updates it delivered (those rounds minus its failed fits): these rounds were "
                + "recorded without examples per node; the examples behind each round's updates are in the rounds table.").append("</figcaption>");
      }
      html.append("</figure>\n");
    }

    section(html, "rounds", "Rounds");
    rounds(html, report.rounds());

    section(html, "cost", "Cost");
    html.append("<p id=\"cost-note\">Not available: the compute market is not wired into jobs yet.</p>\n");

    section(html, "audit", "Audit trail");
    audit(html, report);

    html.append("<footer>Made by the FedGrid gateway from its records at ").append(time(report.generatedAt()))
        .append(". The charts are also served as PNG files: <code>/api/v1/jobs/").append(escape(job.id().value()))
        .append("/report/charts/{metrics,epsilon,contribution}.png</code>.</footer>\n</body></html>\n");
    return html.toString();
  }

  private static String resultsNotice(JobReport.Results results) {
    return switch (results) {
      case HELD -> "<p class=\"notice\" id=\"results-held\">This job trained on private data and its results are held: this report shows only the aggregate "
          + "loss and accuracy until a release request is approved (<code>fedgrid job release</code>).</p>\n";
      case RELEASED -> "<p class=\"muted\" id=\"results-released\">The results of this job are released: every metric is shown.</p>\n";
      case PUBLIC_DATA -> "<p class=\"muted\" id=\"results-public\">This job ran on public data only; its results are not held.</p>\n";
      case NOT_GOVERNED -> "";
    };
  }

  private static void rounds(StringBuilder html, List<RoundSummary> rounds) {
    if (rounds.isEmpty()) {
      html.append("<p class=\"muted\">No round has completed yet.</p>\n");
      return;
    }
    var eval = new TreeSet<String>(Comparator.comparing((String m) -> m.equals("loss") ? 0 : m.equals("accuracy") ? 1 : 2).thenComparing(m -> m));
    rounds.forEach(r -> eval.addAll(r.evalMetrics().keySet()));
    boolean dp = rounds.stream().anyMatch(r -> r.epsilon() != null);
    html.append("<table id=\"round-table\"><thead><tr><th class=\"num\">Round</th><th>Finished</th><th class=\"num\">Took</th><th class=\"num\">Nodes</th>")
        .append("<th class=\"num\">Updates</th><th class=\"num\">Examples</th>");
    for (String m : eval) html.append("<th class=\"num\">").append(escape(m)).append("</th>");
    html.append("<th class=\"num\">train loss</th>");
    if (dp) html.append("<th class=\"num\">ε</th>");
    html.append("<th>Failures</th></tr></thead><tbody>");
    for (RoundSummary r : rounds) {
      html.append("<tr class=\"round\"><td class=\"num\">").append(r.round()).append("</td><td>").append(time(r.finishedAt())).append("</td><td class=\"num\">")
          .append(r.startedAt() == null || r.finishedAt() == null ? "" : duration(Duration.between(r.startedAt(), r.finishedAt())))
          .append("</td><td class=\"num\">").append(r.nodes().size()).append("</td><td class=\"num\">").append(r.updates())
          .append("</td><td class=\"num\">").append(r.examples()).append("</td>");
      for (String m : eval) html.append("<td class=\"num\">").append(value(r.evalMetrics().get(m))).append("</td>");
      html.append("<td class=\"num\">").append(value(r.fitMetrics().get("loss"))).append("</td>");
      if (dp) html.append("<td class=\"num\">").append(value(r.epsilon())).append("</td>");
      html.append("<td>");
      for (NodeFailure f : r.failures()) {
        html.append("<div><span class=\"id\">").append(escape(f.node().value())).append("</span> ").append(escape(f.phase())).append(": ")
            .append(escape(f.reason())).append("</div>");
      }
      html.append("</td></tr>");
    }
    html.append("</tbody></table>\n");
  }

  private static void audit(StringBuilder html, JobReport report) {
    if (report.audit().isEmpty()) {
      html.append("<p class=\"muted\">This gateway keeps no audit ledger.</p>\n");
      return;
    }
    List<AuditEvent> events = report.audit().get();
    if (events.isEmpty()) {
      html.append("<p class=\"muted\">No event names this job.</p>\n");
      return;
    }
    html.append("<table id=\"audit-table\"><thead><tr><th class=\"num\">#</th><th>When</th><th>Who</th><th>What</th><th>Target</th><th>Details</th></tr></thead><tbody>");
    for (AuditEvent e : events) {
      String details = e.details().entrySet().stream().map(d -> d.getKey() + "=" + d.getValue()).collect(Collectors.joining(", "));
      html.append("<tr class=\"event\" data-action=\"").append(escape(e.action())).append("\"><td class=\"num\">").append(e.seq()).append("</td><td>")
          .append(time(e.at())).append("</td><td>").append(escape(e.actor())).append("</td><td>").append(escape(e.action()))
          .append("</td><td class=\"id\">").append(escape(e.target())).append("</td><td class=\"details\">").append(escape(details)).append("</td></tr>");
    }
    html.append("</tbody></table>\n");
    if (report.auditTruncated()) {
      html.append("<p class=\"muted\">Only the first ").append(events.size()).append(" events are listed; `fedgrid audit list --target ")
          .append(escape(report.job().id().value())).append("` lists them all.</p>\n");
    }
  }

  private static void section(StringBuilder html, String id, String title) {
    html.append("<h2 id=\"").append(id).append("\">").append(escape(title)).append("</h2>\n");
  }

  private static void facts(StringBuilder html, List<String[]> rows) {
    html.append("<dl class=\"facts\">");
    for (String[] row : rows) html.append("<dt>").append(escape(row[0])).append("</dt><dd>").append(escape(row[1])).append("</dd>");
    html.append("</dl>\n");
  }

  /** A value of the API as people read it: {@code dense (units 16)}, {@code fedadam (eta 0.01, …)}. */
  static String wire(Object value) {
    JsonNode node = Json.mapper().valueToTree(value);
    if (node == null || node.isNull()) return "";
    if (node.isValueNode()) return node.asText();
    var parts = new ArrayList<String>();
    String type = node.path("type").asText("");
    node.properties().forEach(e -> {
      if (e.getKey().equals("type") || e.getValue().isNull()) return;
      parts.add(e.getKey() + " " + (e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
    });
    String list = String.join(", ", parts);
    if (type.isEmpty()) return list;
    return parts.isEmpty() ? type : type + " (" + list + ")";
  }

  private static String metrics(Map<String, Double> metrics) {
    return metrics.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> e.getKey() + " " + value(e.getValue())).collect(Collectors.joining(", "));
  }

  private static String value(Double v) {
    return v == null ? "" : ChartPainter.number(v, 0);
  }

  private static String time(Instant at) {
    return at == null ? "—" : TIME.format(at);
  }

  private static String duration(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 60) return String.format(java.util.Locale.ROOT, "%.1f s", Math.max(0, d.toMillis()) / 1000.0);
    if (s < 3600) return (s / 60) + " min " + (s % 60) + " s";
    return (s / 3600) + " h " + (s % 3600 / 60) + " min";
  }
}
