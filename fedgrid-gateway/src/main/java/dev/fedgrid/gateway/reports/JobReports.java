package dev.fedgrid.gateway.reports;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.control.GatewayControl;
import dev.fedgrid.gateway.requests.ReleaseRequests;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Job reports: a self-contained HTML page about one job (its configuration, state and timings,
 * charts of metrics per round, ε over rounds and each node's contribution, cost, and its audit
 * trail) and PNG files of the same charts, for embedding elsewhere.
 *
 * <p><b>Who sees what.</b> A report is read with the caller's rights through the control API as
 * results leave it ({@link dev.fedgrid.gateway.requests.HeldResults}): a job the caller may not see
 * is {@code JOB_NOT_FOUND}, and while the job's results are held the report shows only the
 * aggregate loss and accuracy, exactly as {@code GET /jobs/{id}/rounds} does. The audit trail lists
 * the events about the job: those whose target is the job, and the release requests, decisions,
 * demands, agreements and allocations that name it.
 *
 * <pre>{@code
 * var reports = new JobReports(heldControl, releases, audit, Clock.systemUTC());
 * String html = reports.html(caller, jobId);
 * byte[] png = reports.png(caller, jobId, "metrics.png");
 * }</pre>
 *
 * <p>Thread-safe: every service it reads is.
 */
public final class JobReports {
  /** The most audit events a report lists. */
  static final int MAX_AUDIT_EVENTS = 500;
  /** Event families that name a job in their {@code job} detail rather than as their target. */
  private static final List<String> LINKED_FAMILIES = List.of("release.", "demand.", "agreement.", "allocation.");

  private final GatewayControl control;
  private final ReleaseRequests releases;
  private final AuditLog audit;
  private final InstantSource clock;

  /**
   * @param control the control API as results leave it (with held results removed)
   * @param releases release requests, to say whether the results are held; null where none are kept
   * @param audit the audit ledger; null where none is kept (the report then says so)
   */
  public JobReports(GatewayControl control, ReleaseRequests releases, AuditLog audit, InstantSource clock) {
    this.control = Objects.requireNonNull(control, "control");
    this.releases = releases;
    this.audit = audit;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * The report of a job the caller may see, as one HTML page with inline CSS and SVG.
   *
   * @throws NotFoundException with code {@code JOB_NOT_FOUND} when the caller may not see the job
   */
  public String html(Principal caller, JobId id) {
    JobReport report = report(caller, id);
    return HtmlReport.render(report, ReportCharts.all(report));
  }

  /**
   * One chart of the report as a PNG file.
   *
   * @param fileName {@code metrics.png}, {@code epsilon.png} or {@code contribution.png}
   * @throws NotFoundException with code {@code CHART_NOT_FOUND} for another name, or {@code
   *     JOB_NOT_FOUND}
   */
  public byte[] png(Principal caller, JobId id, String fileName) {
    String name = Chart.nameOf(fileName, "png").orElseThrow(() -> new NotFoundException(
        "CHART_NOT_FOUND",
        "a job report has no chart '" + (fileName.length() > 64 ? fileName.substring(0, 64) + "…" : fileName) + "'; ask for one of "
            + String.join(", ", Chart.NAMES.stream().map(n -> n + ".png").toList()),
        Map.of("charts", Chart.NAMES)));
    return PngChart.render(ReportCharts.chart(report(caller, id), name));
  }

  JobReport report(Principal caller, JobId id) {
    Job job = control.job(caller, id);
    var rounds = control.rounds(caller, id);
    var datasets = job.spec().datasets().stream().map(ref -> dataset(caller, ref)).toList();
    JobReport.Results results;
    if (releases == null) results = JobReport.Results.NOT_GOVERNED;
    else if (releases.privateDatasets(job).isEmpty()) results = JobReport.Results.PUBLIC_DATA;
    else results = releases.released(caller, job) ? JobReport.Results.RELEASED : JobReport.Results.HELD;
    Optional<List<AuditEvent>> trail = Optional.empty();
    boolean truncated = false;
    if (audit != null) {
      List<AuditEvent> events = auditTrail(id);
      truncated = events.size() > MAX_AUDIT_EVENTS;
      trail = Optional.of(truncated ? events.subList(0, MAX_AUDIT_EVENTS) : events);
    }
    return new JobReport(job, rounds, datasets, results, trail, truncated, caller.name(), clock.instant());
  }

  private JobReport.Dataset dataset(Principal caller, String reference) {
    if (reference.startsWith(DatasetId.PREFIX + "_")) {
      try {
        DatasetInfo d = control.dataset(caller, DatasetId.of(reference));
        return new JobReport.Dataset(reference, Optional.of(d.name()), Optional.of(d.metadata().visibility()), Optional.of(d.nodeId().value()));
      } catch (FedGridException gone) {
        return new JobReport.Dataset(reference, Optional.empty(), Optional.empty(), Optional.empty());
      }
    }
    return new JobReport.Dataset(reference, Optional.of(reference), Optional.empty(), Optional.empty()); // a job stored before names were resolved
  }

  /** Events whose target is the job, then those of the linked families naming it; by sequence, one more than shown at most. */
  private List<AuditEvent> auditTrail(JobId id) {
    var bySeq = new TreeMap<Long, AuditEvent>();
    collect(new AuditQuery(0, Optional.empty(), Optional.empty(), Optional.of(id.value()), Optional.empty(), Optional.empty(), AuditQuery.MAX_LIMIT), e -> true, bySeq);
    for (String family : LINKED_FAMILIES) {
      collect(new AuditQuery(0, Optional.empty(), Optional.of(family), Optional.empty(), Optional.empty(), Optional.empty(), AuditQuery.MAX_LIMIT),
          e -> id.value().equals(e.details().get("job")), bySeq);
    }
    var events = new ArrayList<>(bySeq.values());
    events.sort(Comparator.comparingLong(AuditEvent::seq));
    return events.size() > MAX_AUDIT_EVENTS + 1 ? events.subList(0, MAX_AUDIT_EVENTS + 1) : events;
  }

  private void collect(AuditQuery query, java.util.function.Predicate<AuditEvent> keep, TreeMap<Long, AuditEvent> into) {
    AuditQuery next = query;
    while (true) {
      List<AuditEvent> page = audit.events(next);
      for (AuditEvent e : page) if (keep.test(e)) into.put(e.seq(), e);
      if (page.size() < next.limit()) return;
      next = next.after(page.getLast().seq());
    }
  }
}
