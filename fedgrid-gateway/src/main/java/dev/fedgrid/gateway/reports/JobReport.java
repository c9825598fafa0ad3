package dev.fedgrid.gateway.reports;

import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.RoundSummary;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a job report shows, read with the rights of the user it is for: the job and its rounds as
 * that user may see them (held metrics already removed), its datasets, whether its results are
 * released, and its audit trail.
 *
 * <p>Immutable and thread-safe.
 *
 * @param job the job, as {@code GET /jobs/{id}} answers the viewer
 * @param rounds its completed rounds, as {@code GET /jobs/{id}/rounds} answers the viewer
 * @param datasets the datasets the job names, in its spec's order
 * @param results whether its results (the model and metrics beyond loss and accuracy) may leave
 * @param audit the events about the job, oldest first; empty when this gateway keeps no ledger
 * @param auditTruncated whether there were more events than the report lists
 * @param viewer who the report was made for
 * @param generatedAt when it was made
 */
record JobReport(
    Job job,
    List<RoundSummary> rounds,
    List<Dataset> datasets,
    Results results,
    Optional<List<AuditEvent>> audit,
    boolean auditTruncated,
    String viewer,
    Instant generatedAt) {

  JobReport {
    rounds = List.copyOf(rounds);
    datasets = List.copyOf(datasets);
    audit = audit.map(List::copyOf);
  }

  /** A dataset of the job: its id (or the name the job gave), name and visibility when known. */
  record Dataset(String reference, Optional<String> name, Optional<Visibility> visibility, Optional<String> node) {}

  /** Whether the job's results may leave the gateway, for the viewer. */
  enum Results {
    /** The job ran on public data only: nothing is held. */
    PUBLIC_DATA,
    /** A release request was approved, or the viewer holds download grants on every private dataset. */
    RELEASED,
    /** Held: only the aggregate loss and accuracy are shown. */
    HELD,
    /** This control API holds nothing (no release requests are configured). */
    NOT_GOVERNED
  }
}
