package dev.fedgrid.gateway.requests;

import static dev.fedgrid.gateway.state.SqlDatabase.all;
import static dev.fedgrid.gateway.state.SqlDatabase.first;
import static dev.fedgrid.gateway.state.SqlDatabase.instant;
import static dev.fedgrid.gateway.state.SqlDatabase.instantOrNull;
import static dev.fedgrid.gateway.state.SqlDatabase.setNullable;
import static dev.fedgrid.gateway.state.SqlDatabase.text;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.governance.PrivacyBudget;
import dev.fedgrid.api.governance.ReleaseRequest;
import dev.fedgrid.api.governance.ReleaseReview;
import dev.fedgrid.api.governance.RequestId;
import dev.fedgrid.api.governance.RequestState;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.jobs.JobDatasets;
import dev.fedgrid.gateway.privacy.PrivacyBudgets;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.gateway.state.StateStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Release requests: the results of a job that touched private data are held until a compliance
 * officer approves a request to release them.
 *
 * <p><b>What is held.</b> The model (parameters and its description) and every metric other than
 * the aggregate {@code loss} and {@code accuracy}. A job is held when any dataset it was admitted on
 * was private then (or, for a job admitted before budgets existed, is private now).
 *
 * <p><b>Who gets results.</b> Results of a held job go to a caller who holds the download-results
 * grant on every private dataset of the job, or, once a release request for the job is approved, to
 * whoever may see the job. Jobs on public data only are released automatically ({@code
 * release.automatic}, recorded once, at the first download).
 *
 * <p><b>Requests.</b> The job's owner files a request once the job has finished (so the officer
 * decides on final results); at most one is pending per job. An officer ({@code
 * can_triage_requests}) who did not file it approves or denies it with a comment; both decisions
 * are final, and after a denial the owner may file a new request.
 *
 * <p>Thread-safe.
 */
public final class ReleaseRequests {
  /** The metrics anyone who sees a job sees, held or not. */
  public static final Set<String> AGGREGATE_METRICS = RoundSummary.AGGREGATE_METRICS;

  /** Whether a user may take results computed on a dataset out without a release request. */
  @FunctionalInterface
  public interface ResultGrants {
    boolean mayDownloadResults(Principal caller, DatasetId dataset);
  }

  private static final String COLUMNS = "id, job_id, requester, reason, state, created_at, decided_by, decided_at, comment";

  private final SqlDatabase db;
  private final StateStore store;
  private final PrivacyBudgets budgets;
  private final AuditLog audit;
  private final ResultGrants grants;
  private final InstantSource clock;

  public ReleaseRequests(SqlDatabase db, StateStore store, PrivacyBudgets budgets, AuditLog audit, ResultGrants grants, InstantSource clock) {
    this.db = Objects.requireNonNull(db, "db");
    this.store = Objects.requireNonNull(store, "store");
    this.budgets = Objects.requireNonNull(budgets, "budgets");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.grants = Objects.requireNonNull(grants, "grants");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  // ---- the gate ----

  /** The private datasets of a job: as admitted, or from the catalogue for older jobs. */
  public List<DatasetId> privateDatasets(Job job) {
    Map<DatasetId, Visibility> admitted = budgets.admittedDatasets(job.id());
    if (admitted.isEmpty()) {
      return JobDatasets.resolve(store, job.spec()).stream().filter(d -> d.metadata().visibility() == Visibility.PRIVATE).map(DatasetInfo::id).toList();
    }
    return admitted.entrySet().stream().filter(e -> e.getValue() == Visibility.PRIVATE).map(Map.Entry::getKey).toList();
  }

  /** Whether the caller may have the job's results now (see the class comment). */
  public boolean released(Principal caller, Job job) {
    List<DatasetId> restricted = privateDatasets(job);
    return restricted.isEmpty() || approved(job.id()) || restricted.stream().allMatch(d -> grants.mayDownloadResults(caller, d));
  }

  /**
   * Lets a download of the job's results through, or refuses it with {@code download.refused} in
   * the audit ledger. A public-only job's first download records {@code release.automatic}.
   *
   * @param job a job the caller may see (checked by the caller of this method)
   * @throws PermissionDeniedException with code {@code RELEASE_REQUIRED}
   */
  public void requireReleased(Principal caller, Job job) {
    List<DatasetId> restricted = privateDatasets(job);
    if (restricted.isEmpty()) {
      db.transact("release job " + job.id() + " automatically", () -> {
        if (releaseOf(job.id()).isEmpty()) {
          insertRelease(job.id(), "automatic", null);
          audit.append("system", "release.automatic", job.id().value(), Map.of("reason", "the job ran on public datasets only"));
        }
        return null;
      });
      return;
    }
    if (approved(job.id()) || restricted.stream().allMatch(d -> grants.mayDownloadResults(caller, d))) return;
    String datasets = restricted.stream().map(DatasetId::value).collect(Collectors.joining(","));
    db.transact("refuse a download of job " + job.id(), () -> audit.append(caller.name(), "download.refused", job.id().value(), Map.of("privateDatasets", datasets)));
    Optional<ReleaseRequest> latest = latestOf(job.id());
    String hint = latest.map(r -> r.state() == RequestState.PENDING
            ? "; release request " + r.id() + " is pending a compliance officer's decision"
            : "; the last release request " + r.id() + " was denied: file a new one with `fedgrid job release " + job.id() + " --reason ...`")
        .orElse("; file one with `fedgrid job release " + job.id() + " --reason ...`");
    var details = new LinkedHashMap<String, Object>();
    details.put("job", job.id().value());
    details.put("privateDatasets", restricted.stream().map(DatasetId::value).toList());
    latest.ifPresent(r -> {
      details.put("request", r.id().value());
      details.put("requestState", r.state().wireName());
    });
    throw new PermissionDeniedException(
        "RELEASE_REQUIRED",
        "job " + job.id() + " trained on private data (" + String.join(", ", datasets.split(",")) + "): its model and detailed metrics are held until a release request is approved" + hint,
        details);
  }

  /** The job as the caller may see it: metrics other than loss and accuracy removed while held. */
  public Job redact(Principal caller, Job job) {
    if (job.metrics().keySet().stream().allMatch(AGGREGATE_METRICS::contains) || released(caller, job)) return job;
    return new Job(job.id(), job.spec(), job.state(), job.completedRounds(), job.message(), job.createdAt(), job.startedAt(), job.finishedAt(), aggregate(job.metrics()), job.owner());
  }

  /** A job's rounds as the caller may see them: metrics other than loss and accuracy removed while held. */
  public List<RoundSummary> redact(Principal caller, Job job, List<RoundSummary> rounds) {
    if (rounds.isEmpty() || released(caller, job)) return rounds;
    return rounds.stream()
        .map(r -> new RoundSummary(
            r.jobId(), r.round(), r.startedAt(), r.finishedAt(), r.nodes(), r.updates(), r.examples(), r.failures(), aggregate(r.fitMetrics()),
            aggregate(r.evalMetrics()), r.epsilon(), r.contributions(), r.resources()))
        .toList();
  }

  private static Map<String, Double> aggregate(Map<String, Double> metrics) {
    return metrics.entrySet().stream().filter(e -> AGGREGATE_METRICS.contains(e.getKey())).collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  // ---- requests ----

  /**
   * Files a release request for a finished job of the caller's.
   *
   * @param job a job the caller may see
   * @throws PermissionDeniedException with code {@code NOT_JOB_OWNER} when the caller did not submit it
   * @throws ConflictException with code {@code JOB_NOT_FINISHED}, {@code RELEASE_NOT_NEEDED},
   *     {@code ALREADY_RELEASED} or {@code REQUEST_PENDING}
   */
  public ReleaseRequest file(Principal caller, Job job, String reason) {
    if (!job.owner().equals(caller.name())) {
      throw new PermissionDeniedException(
          "NOT_JOB_OWNER", "job " + job.id() + " was submitted by " + job.owner() + "; only they may request the release of its results", Map.of("job", job.id().value()));
    }
    String why = Decisions.text("reason", reason, true);
    if (!job.state().isTerminal()) {
      throw new ConflictException(
          "JOB_NOT_FINISHED",
          "job " + job.id() + " is " + job.state().wireName() + "; a release is requested for final results, once the job has finished (or cancel it)",
          Map.of("job", job.id().value(), "state", job.state().wireName()));
    }
    if (privateDatasets(job).isEmpty()) {
      throw new ConflictException("RELEASE_NOT_NEEDED", "job " + job.id() + " ran on public data only; its results are released automatically", Map.of("job", job.id().value()));
    }
    return db.transact("file a release request for job " + job.id(), () -> {
      if (approved(job.id())) {
        throw new ConflictException("ALREADY_RELEASED", "the results of job " + job.id() + " are already released; download them", Map.of("job", job.id().value()));
      }
      Optional<ReleaseRequest> latest = latestOf(job.id());
      if (latest.isPresent() && latest.get().state() == RequestState.PENDING) {
        throw new ConflictException(
            "REQUEST_PENDING", "release request " + latest.get().id() + " for job " + job.id() + " is still pending; wait for its decision",
            Map.of("job", job.id().value(), "request", latest.get().id().value()));
      }
      RequestId id = RequestId.random();
      PreparedStatement s = db.statement("INSERT INTO release_requests (id, job_id, requester, reason, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?)");
      s.setString(1, id.value());
      s.setString(2, job.id().value());
      s.setString(3, caller.name());
      s.setString(4, why);
      s.setString(5, text(clock.instant()));
      s.executeUpdate();
      audit.append(caller.name(), "release.requested", id.value(), Map.of("job", job.id().value()));
      return row(id).orElseThrow();
    });
  }

  /** Release requests, newest first: the caller's own, or everyone's with {@code can_triage_requests}. */
  public List<ReleaseRequest> list(Principal caller, Optional<RequestState> state) {
    return listBy(caller.has(Permission.TRIAGE_REQUESTS) ? Optional.empty() : Optional.of(caller.name()), state);
  }

  private List<ReleaseRequest> listBy(Optional<String> requester, Optional<RequestState> state) {
    return db.transact("list release requests", () -> {
      PreparedStatement s = db.statement(
          "SELECT " + COLUMNS + " FROM release_requests WHERE (? IS NULL OR requester = ?) AND (? IS NULL OR state = ?) ORDER BY id DESC");
      setNullable(s, 1, requester.orElse(null));
      setNullable(s, 2, requester.orElse(null));
      setNullable(s, 3, state.map(RequestState::wireName).orElse(null));
      setNullable(s, 4, state.map(RequestState::wireName).orElse(null));
      return all(s, ReleaseRequests::row);
    });
  }

  /**
   * A request with everything needed to decide it: for its requester or an officer.
   *
   * @throws NotFoundException with code {@code REQUEST_NOT_FOUND}, also for a request of someone
   *     else's to a caller without {@code can_triage_requests}
   */
  public ReleaseReview review(Principal caller, RequestId id) {
    return db.transact("review release request " + id, () -> {
      ReleaseRequest request = row(id).orElseThrow(() -> Decisions.notFound(id));
      if (!caller.has(Permission.TRIAGE_REQUESTS) && !request.requester().equals(caller.name())) throw Decisions.notFound(id);
      Job job = store.job(request.job()).orElseThrow(() -> new NotFoundException(
          "JOB_NOT_FOUND", "job " + request.job() + " of release request " + id + " was deleted", Map.of("job", request.job().value())));
      Map<DatasetId, Double> spent = budgets.spentBy(job.id());
      Map<DatasetId, Visibility> admitted = budgets.admittedDatasets(job.id());
      var datasets = new ArrayList<ReleaseReview.JobDataset>();
      Iterable<DatasetId> ids = admitted.isEmpty() ? JobDatasets.resolve(store, job.spec()).stream().map(DatasetInfo::id).toList() : admitted.keySet();
      for (DatasetId d : ids) {
        Optional<DatasetInfo> info = store.dataset(d);
        Visibility visibility = admitted.getOrDefault(d, info.map(i -> i.metadata().visibility()).orElse(Visibility.PRIVATE));
        datasets.add(new ReleaseReview.JobDataset(d, info.map(DatasetInfo::name).orElse("(removed)"), info.map(DatasetInfo::nodeId).orElse(null), visibility, spent.get(d)));
      }
      List<ReleaseRequest> history = listBy(Optional.of(request.requester()), Optional.empty()).stream().filter(r -> !r.id().equals(id)).toList();
      List<PrivacyBudget> owned = new ArrayList<>();
      for (var d : datasets) {
        if (d.visibility() == Visibility.PRIVATE) owned.add(budgets.budget(request.requester(), d.id()));
      }
      return new ReleaseReview(request, job, datasets, job.spec().privacy() != null, history, owned);
    });
  }

  /**
   * Approves a pending request: the job's results are released to whoever may see the job.
   *
   * @throws PermissionDeniedException with code {@code PERMISSION_DENIED} without {@code
   *     can_triage_requests}, or {@code SELF_APPROVAL} for one's own request
   * @throws ConflictException with code {@code REQUEST_DECIDED} when it was already decided
   */
  public ReleaseRequest approve(Principal caller, RequestId id, String comment) {
    return decide(caller, id, RequestState.APPROVED, Decisions.text("comment", comment, false));
  }

  /** Denies a pending request, with a comment saying why (required). As {@link #approve}. */
  public ReleaseRequest deny(Principal caller, RequestId id, String comment) {
    return decide(caller, id, RequestState.DENIED, Decisions.text("comment", comment, true));
  }

  private ReleaseRequest decide(Principal caller, RequestId id, RequestState decision, String comment) {
    caller.require(Permission.TRIAGE_REQUESTS, "decide release requests");
    return db.transact("decide release request " + id, () -> {
      ReleaseRequest r = row(id).orElseThrow(() -> Decisions.notFound(id));
      if (r.requester().equals(caller.name())) throw Decisions.selfApproval(caller.name(), "release request", id);
      if (r.state() != RequestState.PENDING) throw Decisions.decided("release request", id, r.state(), r.decidedBy());
      PreparedStatement s = db.statement("UPDATE release_requests SET state = ?, decided_by = ?, decided_at = ?, comment = ? WHERE id = ?");
      s.setString(1, decision.wireName());
      s.setString(2, caller.name());
      s.setString(3, text(clock.instant()));
      setNullable(s, 4, comment);
      s.setString(5, id.value());
      s.executeUpdate();
      if (decision == RequestState.APPROVED) insertRelease(r.job(), "approved", id);
      var details = new TreeMap<String, String>();
      details.put("job", r.job().value());
      details.put("requester", r.requester());
      if (comment != null) details.put("comment", comment);
      audit.append(caller.name(), decision == RequestState.APPROVED ? "release.approved" : "release.denied", id.value(), details);
      return row(id).orElseThrow();
    });
  }

  // ---- storage ----

  private boolean approved(JobId job) {
    return db.transact("read the release of job " + job, () -> releaseOf(job).filter("approved"::equals).isPresent());
  }

  private Optional<String> releaseOf(JobId job) throws SQLException {
    PreparedStatement s = db.statement("SELECT how FROM job_releases WHERE job_id = ?");
    s.setString(1, job.value());
    return first(s, r -> r.getString(1));
  }

  private void insertRelease(JobId job, String how, RequestId request) throws SQLException {
    PreparedStatement s = db.statement("INSERT INTO job_releases (job_id, how, request_id, released_at) VALUES (?, ?, ?, ?)");
    s.setString(1, job.value());
    s.setString(2, how);
    setNullable(s, 3, request == null ? null : request.value());
    s.setString(4, text(clock.instant()));
    s.executeUpdate();
  }

  private Optional<ReleaseRequest> latestOf(JobId job) {
    return db.transact("read the release requests of job " + job, () -> {
      PreparedStatement s = db.statement("SELECT " + COLUMNS + " FROM release_requests WHERE job_id = ? ORDER BY id DESC LIMIT 1");
      s.setString(1, job.value());
      return first(s, ReleaseRequests::row);
    });
  }

  private Optional<ReleaseRequest> row(RequestId id) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + COLUMNS + " FROM release_requests WHERE id = ?");
    s.setString(1, id.value());
    return first(s, ReleaseRequests::row);
  }

  private static ReleaseRequest row(ResultSet r) throws SQLException {
    return new ReleaseRequest(
        RequestId.of(r.getString(1)), JobId.of(r.getString(2)), r.getString(3), r.getString(4), RequestState.of(r.getString(5)), instant(r.getString(6)),
        r.getString(7), instantOrNull(r.getString(8)), r.getString(9));
  }
}
