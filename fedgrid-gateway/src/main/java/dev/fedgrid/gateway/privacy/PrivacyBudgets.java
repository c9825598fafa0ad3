package dev.fedgrid.gateway.privacy;

import static dev.fedgrid.gateway.state.SqlDatabase.all;
import static dev.fedgrid.gateway.state.SqlDatabase.first;
import static dev.fedgrid.gateway.state.SqlDatabase.instant;
import static dev.fedgrid.gateway.state.SqlDatabase.instantOrNull;
import static dev.fedgrid.gateway.state.SqlDatabase.setNullable;
import static dev.fedgrid.gateway.state.SqlDatabase.text;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.BudgetRequest;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.governance.PrivacyBudget;
import dev.fedgrid.api.governance.RequestId;
import dev.fedgrid.api.governance.RequestState;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.core.dp.DpAccounting;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.requests.Decisions;
import dev.fedgrid.gateway.jobs.JobDatasets;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.gateway.state.StateStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Privacy budgets per user per dataset, the ledger of what jobs reserve and spend against them, and
 * budget requests.
 *
 * <h2>Accounting</h2>
 *
 * A job with differential privacy on a private dataset has one ledger row per such dataset, written
 * when it is admitted: its planned epsilon ({@link DpAccounting#epsilon} of all its rounds, with the
 * job's sampling rate and privacy mode, the function its per-round spending uses too) and what
 * its completed rounds have spent (updated with each round, in the round's transaction, by the
 * state store). For a user and a dataset:
 *
 * <ul>
 *   <li>{@code spent} = sum of the spent epsilon of every such job, finished or not;
 *   <li>{@code reserved} = sum of {@code planned - spent} over the jobs still queued or running; a
 *       job that ends (completed, failed or cancelled) keeps only what its completed rounds spent;
 *   <li>{@code remaining} = budget epsilon - spent - reserved.
 * </ul>
 *
 * Epsilons of different jobs add up (basic composition: sequential composition of (epsilon_i,
 * delta_i)-DP mechanisms is (sum epsilon_i, sum delta_i)-DP, Dwork and Roth 2014, Theorem 3.16). It
 * is conservative: composing all jobs' RDP curves would give a smaller total, but jobs may differ in
 * delta and the sum is what a person can check by hand. The delta of a budget is a cap per job, not
 * a sum: each job's delta must not exceed it (documented in docs/privacy.md, with what that means).
 *
 * <p><b>Concurrency.</b> {@link #admit} checks and reserves in one transaction of the one database,
 * which serialises every transaction, and joins the coordinator's transaction that stores the job:
 * two submissions can never both see the same remaining budget, and a refused job leaves nothing.
 *
 * <p>Thread-safe.
 */
public final class PrivacyBudgets {
  /** The delta of a budget created by approving a request when the user had none. */
  public static final double DEFAULT_DELTA = 1e-5;
  /** Rounding slack when comparing a plan with what remains. */
  private static final double SLACK = 1e-9;

  private final SqlDatabase db;
  private final StateStore store;
  private final AuditLog audit;
  private final InstantSource clock;

  public PrivacyBudgets(SqlDatabase db, StateStore store, AuditLog audit, InstantSource clock) {
    this.db = Objects.requireNonNull(db, "db");
    this.store = Objects.requireNonNull(store, "store");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  // ---- budgets ----

  /**
   * Sets a user's budget on a dataset ({@code can_manage_privacy_budget}).
   *
   * @throws InvalidRequestException with code {@code INVALID_BUDGET} for a negative, NaN or
   *     infinite epsilon or a delta outside [0, 1)
   * @throws NotFoundException with code {@code USER_NOT_FOUND} or {@code DATASET_NOT_FOUND}
   */
  public PrivacyBudget set(Principal caller, String user, DatasetId dataset, Double epsilon, Double delta) {
    caller.require(Permission.MANAGE_PRIVACY_BUDGET, "set privacy budgets");
    checkBudget(epsilon, delta);
    return db.transact("set the budget of " + user + " on " + dataset, () -> {
      requireUser(user);
      DatasetInfo d = requireDataset(dataset);
      Optional<PrivacyBudget> before = stored(user, dataset);
      upsert(user, dataset, epsilon, delta, caller.name());
      var details = new TreeMap<String, String>();
      details.put("user", user);
      details.put("dataset", dataset.value());
      details.put("datasetName", d.name());
      details.put("epsilon", number(epsilon));
      details.put("delta", number(delta));
      before.ifPresent(b -> details.put("previousEpsilon", number(b.epsilon())));
      audit.append(caller.name(), "budget.set", user + "/" + dataset, details);
      return budget(user, dataset);
    });
  }

  /**
   * Budgets, each with what is spent, reserved and remaining: the caller's own, or anyone's for a
   * caller with {@code can_manage_privacy_budget} or {@code can_triage_requests}. Pairs of user and
   * dataset with spending but no budget are listed with a budget of 0.
   *
   * @param user only this user's; someone else's needs one of those permissions
   * @param dataset only budgets on this dataset
   */
  public List<PrivacyBudget> list(Principal caller, Optional<String> user, Optional<DatasetId> dataset) {
    boolean officer = seesAll(caller);
    if (user.isPresent() && !user.get().equals(caller.name()) && !officer) {
      throw new PermissionDeniedException(
          "PERMISSION_DENIED",
          "user " + caller.name() + " may see only their own budgets; seeing " + user.get() + "'s needs can_manage_privacy_budget or can_triage_requests",
          Map.of("permission", Permission.MANAGE_PRIVACY_BUDGET.wireName()));
    }
    Optional<String> who = officer ? user : Optional.of(caller.name());
    return db.transact("list budgets", () -> {
      PreparedStatement s = db.statement(
          "SELECT user_name, dataset_id FROM privacy_budgets WHERE (? IS NULL OR user_name = ?) AND (? IS NULL OR dataset_id = ?)"
              + " UNION SELECT user_name, dataset_id FROM privacy_ledger WHERE (? IS NULL OR user_name = ?) AND (? IS NULL OR dataset_id = ?)"
              + " ORDER BY 1, 2");
      for (int base : new int[] {0, 4}) {
        setNullable(s, base + 1, who.orElse(null));
        setNullable(s, base + 2, who.orElse(null));
        setNullable(s, base + 3, dataset.map(DatasetId::value).orElse(null));
        setNullable(s, base + 4, dataset.map(DatasetId::value).orElse(null));
      }
      List<String[]> keys = all(s, r -> new String[] {r.getString(1), r.getString(2)});
      var out = new ArrayList<PrivacyBudget>();
      for (String[] k : keys) out.add(budget(k[0], DatasetId.of(k[1])));
      return out;
    });
  }

  /** The budget of a user on a dataset with its ledger; a budget of 0 when none was set. */
  public PrivacyBudget budget(String user, DatasetId dataset) {
    return db.transact("read the budget of " + user + " on " + dataset, () -> {
      Optional<PrivacyBudget> b = stored(user, dataset);
      PreparedStatement s = db.statement(
          "SELECT COALESCE(SUM(l.spent_epsilon), 0),"
              + " COALESCE(SUM(CASE WHEN j.state IN ('queued', 'running') AND l.planned_epsilon > l.spent_epsilon"
              + " THEN l.planned_epsilon - l.spent_epsilon ELSE 0 END), 0)"
              + " FROM privacy_ledger l LEFT JOIN jobs j ON j.id = l.job_id WHERE l.user_name = ? AND l.dataset_id = ?");
      s.setString(1, user);
      s.setString(2, dataset.value());
      double[] used = first(s, r -> new double[] {r.getDouble(1), r.getDouble(2)}).orElse(new double[2]);
      double epsilon = b.map(PrivacyBudget::epsilon).orElse(0.0);
      return new PrivacyBudget(
          user, dataset, epsilon, b.map(PrivacyBudget::delta).orElse(0.0), used[0], used[1], epsilon - used[0] - used[1],
          b.map(PrivacyBudget::updatedAt).orElse(null), b.map(PrivacyBudget::updatedBy).orElse(null));
    });
  }

  // ---- admission ----

  /**
   * Admits a job, joining the caller's transaction: records the datasets it runs on with their
   * visibility and, for a job with differential privacy, reserves its planned epsilon on each of its
   * private datasets. A job without differential privacy on private data is admitted; its results
   * are held until a release request is approved (see docs/privacy.md).
   *
   * @throws PermissionDeniedException with code {@code PRIVACY_BUDGET_EXCEEDED}, with the planned,
   *     remaining and budget epsilon, dataset and user in message and details, when the plan exceeds
   *     what remains on any private dataset, or the job's delta exceeds the budget's delta; nothing
   *     is reserved then
   */
  public void admit(Principal caller, Job job) {
    String user = job.owner().isEmpty() ? caller.name() : job.owner();
    DifferentialPrivacy privacy = job.spec().privacy();
    db.transact("reserve the privacy budget of job " + job.id(), () -> {
      List<DatasetInfo> datasets = JobDatasets.resolve(store, job.spec());
      Instant now = clock.instant();
      PreparedStatement snapshot = db.statement("INSERT INTO job_datasets (job_id, dataset_id, visibility) VALUES (?, ?, ?)");
      for (DatasetInfo d : datasets) {
        snapshot.setString(1, job.id().value());
        snapshot.setString(2, d.id().value());
        snapshot.setString(3, d.metadata().visibility().name().toLowerCase(Locale.ROOT));
        snapshot.executeUpdate();
      }
      List<DatasetInfo> restricted = datasets.stream().filter(d -> d.metadata().visibility() == Visibility.PRIVATE).toList();
      if (privacy == null || restricted.isEmpty()) return null;
      double planned = DpAccounting.epsilon(job.spec(), job.spec().rounds());
      for (DatasetInfo d : restricted) {
        PrivacyBudget b = budget(user, d.id());
        if (privacy.delta() > b.delta() || planned > b.remaining() + SLACK) throw exceeded(user, d, planned, privacy.delta(), b);
      }
      PreparedStatement reserve = db.statement(
          "INSERT INTO privacy_ledger (job_id, dataset_id, user_name, planned_epsilon, delta, spent_epsilon, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)");
      for (DatasetInfo d : restricted) {
        reserve.setString(1, job.id().value());
        reserve.setString(2, d.id().value());
        reserve.setString(3, user);
        reserve.setDouble(4, planned);
        reserve.setDouble(5, privacy.delta());
        reserve.setString(6, text(now));
        reserve.executeUpdate();
      }
      return null;
    });
  }

  private static PermissionDeniedException exceeded(String user, DatasetInfo d, double planned, double delta, PrivacyBudget b) {
    var details = new LinkedHashMap<String, Object>();
    details.put("user", user);
    details.put("dataset", d.id().value());
    details.put("datasetName", d.name());
    details.put("plannedEpsilon", planned);
    details.put("remainingEpsilon", b.remaining());
    details.put("budgetEpsilon", b.epsilon());
    details.put("spentEpsilon", b.spent());
    details.put("reservedEpsilon", b.reserved());
    details.put("delta", delta);
    details.put("budgetDelta", b.delta());
    String what = "job needs ε " + fmt(planned) + " on dataset " + d.id() + " (" + d.name() + ") but user " + user + " has ε " + fmt(b.remaining())
        + " remaining of a budget of ε " + fmt(b.epsilon()) + " (" + fmt(b.spent()) + " spent, " + fmt(b.reserved()) + " reserved by queued or running jobs)";
    if (b.epsilon() == 0 && b.updatedAt() == null) what += "; no budget is set for this user on this dataset";
    if (delta > b.delta()) what = "job runs at δ " + delta + " on dataset " + d.id() + " (" + d.name() + ") but the budget of user " + user + " allows δ " + b.delta() + " per job";
    return new PermissionDeniedException(
        "PRIVACY_BUDGET_EXCEEDED",
        what + "; use more noise (--dp-noise), fewer rounds or, with central DP, a smaller --sample-fraction, or file a budget request (`fedgrid budget request " + d.id() + " --epsilon E --reason ...`)",
        details);
  }

  // ---- what the release requests need ----

  /**
   * The datasets a job was admitted on with their visibility then, in the order stored; empty for a
   * job admitted before budgets existed.
   */
  public Map<DatasetId, Visibility> admittedDatasets(JobId job) {
    return db.transact("read the datasets of job " + job, () -> {
      PreparedStatement s = db.statement("SELECT dataset_id, visibility FROM job_datasets WHERE job_id = ? ORDER BY dataset_id");
      s.setString(1, job.value());
      var out = new LinkedHashMap<DatasetId, Visibility>();
      for (String[] row : all(s, r -> new String[] {r.getString(1), r.getString(2)})) {
        out.put(DatasetId.of(row[0]), "public".equals(row[1]) ? Visibility.PUBLIC : Visibility.PRIVATE);
      }
      return out;
    });
  }

  /** The epsilon a job has spent on each private dataset, from the ledger. */
  public Map<DatasetId, Double> spentBy(JobId job) {
    return db.transact("read the privacy spent by job " + job, () -> {
      PreparedStatement s = db.statement("SELECT dataset_id, spent_epsilon FROM privacy_ledger WHERE job_id = ? ORDER BY dataset_id");
      s.setString(1, job.value());
      var out = new LinkedHashMap<DatasetId, Double>();
      for (Object[] row : all(s, r -> new Object[] {r.getString(1), r.getDouble(2)})) out.put(DatasetId.of((String) row[0]), (Double) row[1]);
      return out;
    });
  }

  // ---- budget requests ----

  /**
   * Files a request for {@code epsilon} more on a dataset, for the caller.
   *
   * @throws InvalidRequestException with code {@code INVALID_BUDGET_REQUEST}
   * @throws NotFoundException with code {@code DATASET_NOT_FOUND}
   */
  public BudgetRequest request(Principal caller, DatasetId dataset, Double epsilon, String reason) {
    if (epsilon == null || !(epsilon > 0) || !Double.isFinite(epsilon)) {
      throw new InvalidRequestException(
          "INVALID_BUDGET_REQUEST", "a budget request asks for a finite epsilon greater than 0, got " + epsilon, Map.of("field", "epsilon"));
    }
    String why = Decisions.text("reason", reason, true);
    return db.transact("file a budget request", () -> {
      DatasetInfo d = requireDataset(dataset);
      RequestId id = RequestId.random();
      PreparedStatement s = db.statement(
          "INSERT INTO budget_requests (id, user_name, dataset_id, epsilon, reason, state, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)");
      s.setString(1, id.value());
      s.setString(2, caller.name());
      s.setString(3, dataset.value());
      s.setDouble(4, epsilon);
      s.setString(5, why);
      s.setString(6, text(clock.instant()));
      s.executeUpdate();
      audit.append(caller.name(), "budget.requested", id.value(), Map.of("dataset", dataset.value(), "datasetName", d.name(), "epsilon", number(epsilon)));
      return requestRow(id).orElseThrow();
    });
  }

  /** Budget requests, newest first: the caller's own, or everyone's for an officer. */
  public List<BudgetRequest> requests(Principal caller, Optional<RequestState> state) {
    Optional<String> who = seesAll(caller) ? Optional.empty() : Optional.of(caller.name());
    return db.transact("list budget requests", () -> {
      PreparedStatement s = db.statement(
          "SELECT " + REQUEST_COLUMNS + " FROM budget_requests WHERE (? IS NULL OR user_name = ?) AND (? IS NULL OR state = ?) ORDER BY id DESC");
      setNullable(s, 1, who.orElse(null));
      setNullable(s, 2, who.orElse(null));
      setNullable(s, 3, state.map(RequestState::wireName).orElse(null));
      setNullable(s, 4, state.map(RequestState::wireName).orElse(null));
      return all(s, PrivacyBudgets::requestRow);
    });
  }

  /** One budget request, if the caller filed it or is an officer. */
  public BudgetRequest request(Principal caller, RequestId id) {
    BudgetRequest r = db.transact("read budget request " + id, () -> requestRow(id)).orElseThrow(() -> Decisions.notFound(id));
    if (!seesAll(caller) && !r.user().equals(caller.name())) throw Decisions.notFound(id);
    return r;
  }

  /**
   * Approves a pending budget request and raises the requester's budget by its epsilon in the same
   * transaction (creating a budget with delta {@link #DEFAULT_DELTA} when there was none).
   *
   * @throws PermissionDeniedException with code {@code PERMISSION_DENIED}, or {@code SELF_APPROVAL}
   *     for one's own request
   * @throws ConflictException with code {@code REQUEST_DECIDED} when it was already decided
   */
  public BudgetRequest approve(Principal caller, RequestId id, String comment) {
    return decide(caller, id, RequestState.APPROVED, Decisions.text("comment", comment, false));
  }

  /** Denies a pending budget request; a comment saying why is required. As {@link #approve}. */
  public BudgetRequest deny(Principal caller, RequestId id, String comment) {
    return decide(caller, id, RequestState.DENIED, Decisions.text("comment", comment, true));
  }

  private BudgetRequest decide(Principal caller, RequestId id, RequestState decision, String comment) {
    if (!seesAll(caller)) throw caller.denied(Permission.TRIAGE_REQUESTS, "decide budget requests");
    return db.transact("decide budget request " + id, () -> {
      BudgetRequest r = requestRow(id).orElseThrow(() -> Decisions.notFound(id));
      if (r.user().equals(caller.name())) {
        throw Decisions.selfApproval(caller.name(), "budget request", id);
      }
      if (r.state() != RequestState.PENDING) throw Decisions.decided("budget request", id, r.state(), r.decidedBy());
      Instant now = clock.instant();
      PreparedStatement s = db.statement("UPDATE budget_requests SET state = ?, decided_by = ?, decided_at = ?, comment = ? WHERE id = ? AND state = 'pending'");
      s.setString(1, decision.wireName());
      s.setString(2, caller.name());
      s.setString(3, text(now));
      setNullable(s, 4, comment);
      s.setString(5, id.value());
      s.executeUpdate();
      var details = new TreeMap<String, String>();
      details.put("user", r.user());
      details.put("dataset", r.dataset().value());
      details.put("epsilon", number(r.epsilon()));
      if (comment != null) details.put("comment", comment);
      if (decision == RequestState.APPROVED) {
        Optional<PrivacyBudget> before = stored(r.user(), r.dataset());
        double raised = before.map(PrivacyBudget::epsilon).orElse(0.0) + r.epsilon();
        upsert(r.user(), r.dataset(), raised, before.map(PrivacyBudget::delta).orElse(DEFAULT_DELTA), caller.name());
        details.put("budgetEpsilon", number(raised));
      }
      audit.append(caller.name(), decision == RequestState.APPROVED ? "budget.approved" : "budget.denied", id.value(), details);
      return requestRow(id).orElseThrow();
    });
  }

  // ---- helpers ----

  /** Whether the caller sees and decides everyone's budgets and budget requests. */
  static boolean seesAll(Principal caller) {
    return caller.has(Permission.MANAGE_PRIVACY_BUDGET) || caller.has(Permission.TRIAGE_REQUESTS);
  }

  private static final String REQUEST_COLUMNS = "id, user_name, dataset_id, epsilon, reason, state, created_at, decided_by, decided_at, comment";

  private Optional<BudgetRequest> requestRow(RequestId id) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + REQUEST_COLUMNS + " FROM budget_requests WHERE id = ?");
    s.setString(1, id.value());
    return first(s, PrivacyBudgets::requestRow);
  }

  private static BudgetRequest requestRow(ResultSet r) throws SQLException {
    return new BudgetRequest(
        RequestId.of(r.getString(1)), r.getString(2), DatasetId.of(r.getString(3)), r.getDouble(4), r.getString(5), RequestState.of(r.getString(6)),
        instant(r.getString(7)), r.getString(8), instantOrNull(r.getString(9)), r.getString(10));
  }

  private Optional<PrivacyBudget> stored(String user, DatasetId dataset) throws SQLException {
    PreparedStatement s = db.statement("SELECT epsilon, delta, updated_at, updated_by FROM privacy_budgets WHERE user_name = ? AND dataset_id = ?");
    s.setString(1, user);
    s.setString(2, dataset.value());
    return first(s, r -> new PrivacyBudget(user, dataset, r.getDouble(1), r.getDouble(2), 0, 0, 0, instant(r.getString(3)), r.getString(4)));
  }

  private void upsert(String user, DatasetId dataset, double epsilon, double delta, String by) throws SQLException {
    PreparedStatement s = db.statement(
        "INSERT INTO privacy_budgets (user_name, dataset_id, epsilon, delta, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (user_name, dataset_id) DO UPDATE SET epsilon = excluded.epsilon, delta = excluded.delta,"
            + " updated_at = excluded.updated_at, updated_by = excluded.updated_by");
    s.setString(1, user);
    s.setString(2, dataset.value());
    s.setDouble(3, epsilon);
    s.setDouble(4, delta);
    s.setString(5, text(clock.instant()));
    s.setString(6, by);
    s.executeUpdate();
  }

  private void requireUser(String user) throws SQLException {
    PreparedStatement s = db.statement("SELECT 1 FROM users WHERE name = ?");
    s.setString(1, user);
    if (first(s, r -> true).isEmpty()) {
      throw new NotFoundException("USER_NOT_FOUND", "no user is named '" + user + "'; see `fedgrid user list`", Map.of("user", user));
    }
  }

  private DatasetInfo requireDataset(DatasetId dataset) {
    return store.dataset(dataset).orElseThrow(() -> new NotFoundException("DATASET_NOT_FOUND", "no dataset has id " + dataset + "; see `fedgrid dataset list`"));
  }

  private static void checkBudget(Double epsilon, Double delta) {
    if (epsilon == null || delta == null || !(epsilon >= 0) || !Double.isFinite(epsilon) || !(delta >= 0 && delta < 1)) {
      var details = new LinkedHashMap<String, Object>();
      details.put("epsilon", String.valueOf(epsilon));
      details.put("delta", String.valueOf(delta));
      throw new InvalidRequestException(
          "INVALID_BUDGET",
          "a budget needs a finite epsilon >= 0 and a delta in [0, 1), got epsilon " + epsilon + " and delta " + delta
              + "; for example {\"epsilon\": 8, \"delta\": 1e-5}",
          details);
    }
  }

  static String number(double v) {
    return Double.toString(v);
  }

  private static String fmt(double epsilon) {
    return String.format(Locale.ROOT, "%.4g", epsilon);
  }
}
