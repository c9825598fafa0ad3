package dev.fedgrid.gateway.access;

import static dev.fedgrid.gateway.state.SqlDatabase.all;
import static dev.fedgrid.gateway.state.SqlDatabase.first;
import static dev.fedgrid.gateway.state.SqlDatabase.instant;
import static dev.fedgrid.gateway.state.SqlDatabase.text;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UserId;
import dev.fedgrid.api.dataset.DatasetGrant;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.jobs.JobAdmission;
import dev.fedgrid.gateway.jobs.JobDatasets;
import dev.fedgrid.gateway.state.NodeRecord;
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

/**
 * Who may do what with which dataset: visibility, per-dataset grants, and the check that refuses a
 * job on a dataset its submitter may not process.
 *
 * <p><b>The rules</b> (also in {@code docs/governance.md}). Nobody ever sees rows; metadata is
 * visible to every user. A user may <em>process</em> a dataset (train and evaluate on it) when it
 * is public, when they hold a {@code process} grant on it, or when their role has {@code
 * can_upload_data} (data owners curate the catalogue and may work with what they curate). A user
 * may <em>download results</em> computed on a dataset without a release request when it is public
 * or when they hold a {@code downloadResults} grant on it. Visibility is first what the registering
 * node declared; a user with {@code can_upload_data} may change it, and a node registering the
 * dataset again does not undo that. Granting {@code process} needs {@code can_upload_data};
 * granting {@code downloadResults} needs {@code can_triage_requests}, since it is a standing
 * release decision; revoking needs either (taking rights away never lets data out). Nobody grants
 * rights to themselves. Every change is audited in its own transaction: {@code grant.created},
 * {@code grant.revoked}, {@code dataset.visibility}.
 *
 * <p>Thread-safe: every method runs in (or joins) one database transaction.
 */
public final class DatasetAccess implements JobAdmission {
  private static final String GRANT_COLUMNS =
      "g.dataset_id, u.name, g.process, g.download_results, g.granted_by, g.granted_at FROM dataset_grants g JOIN users u ON u.id = g.user_id";

  private final SqlDatabase db;
  private final StateStore store;
  private final AuditLog audit;
  private final InstantSource clock;

  /**
   * @param db the gateway's database, holding the grants and the users
   * @param store the catalogue, in the same database
   * @param audit the ledger that records every change
   */
  public DatasetAccess(SqlDatabase db, StateStore store, AuditLog audit, InstantSource clock) {
    this.db = Objects.requireNonNull(db, "db");
    this.store = Objects.requireNonNull(store, "store");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  // ---- checks ----

  /** Whether {@code caller} may train and evaluate on {@code dataset}. */
  public boolean mayProcess(Principal caller, DatasetInfo dataset) {
    return dataset.metadata().visibility() == Visibility.PUBLIC
        || caller.has(Permission.UPLOAD_DATA)
        || grant(caller.id(), dataset.id()).map(Rights::process).orElse(false);
  }

  /**
   * Whether {@code caller} may take results computed on {@code dataset} out of the gateway without
   * a release request: the dataset is public or the caller holds a {@code downloadResults} grant.
   * A dataset that no longer exists allows nothing.
   */
  public boolean mayDownloadResults(Principal caller, DatasetId dataset) {
    return db.transact("check result download on " + dataset, () -> {
      Optional<DatasetInfo> info = store.dataset(dataset);
      if (info.isEmpty()) return false;
      return info.get().metadata().visibility() == Visibility.PUBLIC
          || grant(caller.id(), dataset).map(Rights::downloadResults).orElse(false);
    });
  }

  /**
   * Refuses a job on any dataset its submitter may not process, naming every such dataset.
   *
   * @throws PermissionDeniedException with code {@code DATASET_ACCESS_DENIED}
   */
  @Override
  public void admit(Principal caller, Job job) {
    var denied = new ArrayList<DatasetInfo>();
    for (DatasetInfo d : JobDatasets.resolve(store, job.spec())) {
      if (!mayProcess(caller, d)) denied.add(d);
    }
    if (denied.isEmpty()) return;
    List<String> names = denied.stream()
        .map(d -> d.id() + " (" + d.name() + " on node " + store.node(d.nodeId()).map(NodeRecord::name).orElse(d.nodeId().value()) + ")")
        .toList();
    throw new PermissionDeniedException(
        "DATASET_ACCESS_DENIED",
        "user " + caller.name() + " may not process " + (denied.size() == 1 ? "dataset " : "datasets ") + String.join(", ", names)
            + ": " + (denied.size() == 1 ? "it is" : "they are") + " private and " + caller.name() + " holds no process grant; ask a data owner for one (`fedgrid dataset grant "
            + denied.getFirst().id() + " " + caller.name() + " --process`)",
        Map.of("datasets", denied.stream().map(d -> d.id().value()).toList(), "user", caller.name()));
  }

  // ---- visibility ----

  /**
   * Sets a dataset's visibility; audited as {@code dataset.visibility}. Making a dataset public
   * needs {@code can_triage_requests}: the results of every later job on it then leave without a
   * request, a standing release decision that is compliance's to make (like a {@code
   * downloadResults} grant), so an administrator cannot let results out this way. Making it private
   * needs {@code can_upload_data} or {@code can_triage_requests}: holding results back never lets
   * data out. Setting the visibility it already has changes nothing and records nothing.
   *
   * @throws NotFoundException with code {@code DATASET_NOT_FOUND}
   */
  public DatasetInfo setVisibility(Principal caller, DatasetId id, Visibility visibility) {
    Objects.requireNonNull(visibility, "visibility");
    if (visibility == Visibility.PUBLIC) {
      caller.require(Permission.TRIAGE_REQUESTS, "make a dataset public (its results would then leave without a release request)");
    } else if (!caller.has(Permission.TRIAGE_REQUESTS)) {
      caller.require(Permission.UPLOAD_DATA, "change the visibility of datasets");
    }
    return db.transact("set the visibility of " + id, () -> {
      DatasetInfo before = dataset(id);
      Visibility was = before.metadata().visibility();
      PreparedStatement s = db.statement("UPDATE datasets SET visibility = ? WHERE id = ?");
      s.setString(1, wire(visibility));
      s.setString(2, id.value());
      s.executeUpdate();
      if (was != visibility) {
        audit.append(caller.name(), "dataset.visibility", id.value(), Map.of("name", before.name(), "from", wire(was), "to", wire(visibility)));
      }
      return dataset(id);
    });
  }

  // ---- grants ----

  /**
   * The grants on a dataset: all of them for those who manage grants ({@code can_upload_data} or
   * {@code can_triage_requests}), only the caller's own for everybody else.
   */
  public List<DatasetGrant> grants(Principal caller, DatasetId id) {
    return db.transact("list the grants on " + id, () -> {
      dataset(id);
      if (managesGrants(caller)) {
        PreparedStatement s = db.statement("SELECT " + GRANT_COLUMNS + " WHERE g.dataset_id = ? ORDER BY u.name");
        s.setString(1, id.value());
        return all(s, DatasetAccess::grantRow);
      }
      PreparedStatement s = db.statement("SELECT " + GRANT_COLUMNS + " WHERE g.dataset_id = ? AND g.user_id = ?");
      s.setString(1, id.value());
      s.setString(2, caller.id().value());
      return all(s, DatasetAccess::grantRow);
    });
  }

  /**
   * Gives {@code user} exactly these rights on a dataset, replacing a grant they held; audited as
   * {@code grant.created}. Granting what they already hold changes nothing and records nothing.
   *
   * @throws InvalidRequestException {@code INVALID_GRANT} when neither right is given
   * @throws NotFoundException {@code DATASET_NOT_FOUND}, {@code USER_NOT_FOUND}
   * @throws PermissionDeniedException {@code PERMISSION_DENIED} when a right being added needs a
   *     permission the caller lacks, {@code SELF_GRANT_DENIED} when the caller adds rights to
   *     themselves
   */
  public DatasetGrant grant(Principal caller, DatasetId id, String user, boolean process, boolean downloadResults) {
    requireManager(caller, "grant rights on datasets");
    if (!process && !downloadResults) {
      throw new InvalidRequestException(
          "INVALID_GRANT",
          "a grant gives process, downloadResults or both; to take every right on " + id + " away from " + user + ", revoke the grant (DELETE)",
          Map.of("datasetId", id.value(), "user", user));
    }
    return db.transact("grant " + user + " rights on " + id, () -> {
      DatasetInfo dataset = dataset(id);
      UserId target = userId(user);
      Rights before = grant(target, id).orElse(Rights.NONE);
      boolean addsProcess = process && !before.process();
      boolean addsDownload = downloadResults && !before.downloadResults();
      if ((addsProcess || addsDownload) && target.equals(caller.id())) {
        throw new PermissionDeniedException(
            "SELF_GRANT_DENIED",
            "user " + caller.name() + " may not grant rights on " + id + " to themselves; another data owner or compliance officer must grant them",
            Map.of("datasetId", id.value(), "user", user));
      }
      if (addsProcess) caller.require(Permission.UPLOAD_DATA, "grant the right to process datasets");
      if (addsDownload) caller.require(Permission.TRIAGE_REQUESTS, "grant the right to download results without a release request");
      if (before.process() == process && before.downloadResults() == downloadResults) return current(target, id);
      String now = text(clock.instant());
      PreparedStatement s = db.statement(
          "INSERT INTO dataset_grants (dataset_id, user_id, process, download_results, granted_by, granted_at) VALUES (?, ?, ?, ?, ?, ?)"
              + " ON CONFLICT (dataset_id, user_id) DO UPDATE SET process = excluded.process, download_results = excluded.download_results,"
              + " granted_by = excluded.granted_by, granted_at = excluded.granted_at");
      s.setString(1, id.value());
      s.setString(2, target.value());
      s.setBoolean(3, process);
      s.setBoolean(4, downloadResults);
      s.setString(5, caller.name());
      s.setString(6, now);
      s.executeUpdate();
      var details = new LinkedHashMap<String, String>();
      details.put("user", user);
      details.put("dataset", dataset.name());
      details.put("process", Boolean.toString(process));
      details.put("downloadResults", Boolean.toString(downloadResults));
      details.put("previous", before.describe());
      audit.append(caller.name(), "grant.created", id.value(), details);
      return current(target, id);
    });
  }

  /**
   * Takes every right on a dataset away from {@code user} (needs {@code can_upload_data} or {@code
   * can_triage_requests}); audited as {@code grant.revoked}.
   *
   * @throws NotFoundException {@code DATASET_NOT_FOUND}, {@code USER_NOT_FOUND}, {@code
   *     GRANT_NOT_FOUND}
   */
  public void revoke(Principal caller, DatasetId id, String user) {
    requireManager(caller, "revoke grants on datasets");
    db.transact("revoke the grant of " + user + " on " + id, () -> {
      DatasetInfo dataset = dataset(id);
      UserId target = userId(user);
      Rights before = grant(target, id).orElseThrow(() -> new NotFoundException(
          "GRANT_NOT_FOUND", "user " + user + " holds no grant on " + id + "; see `fedgrid dataset grants " + id + "`",
          Map.of("datasetId", id.value(), "user", user)));
      PreparedStatement s = db.statement("DELETE FROM dataset_grants WHERE dataset_id = ? AND user_id = ?");
      s.setString(1, id.value());
      s.setString(2, target.value());
      s.executeUpdate();
      audit.append(caller.name(), "grant.revoked", id.value(), Map.of("user", user, "dataset", dataset.name(), "previous", before.describe()));
      return null;
    });
  }

  // ---- internals ----

  /** The rights of one grant; {@link #NONE} when there is none. */
  private record Rights(boolean process, boolean downloadResults) {
    static final Rights NONE = new Rights(false, false);

    String describe() {
      if (process && downloadResults) return "process,downloadResults";
      return process ? "process" : downloadResults ? "downloadResults" : "none";
    }
  }

  private static boolean managesGrants(Principal caller) {
    return caller.has(Permission.UPLOAD_DATA) || caller.has(Permission.TRIAGE_REQUESTS);
  }

  private static void requireManager(Principal caller, String action) {
    if (managesGrants(caller)) return;
    throw new PermissionDeniedException(
        "PERMISSION_DENIED",
        "user " + caller.name() + " (role " + caller.role() + ") may not " + action + ": that needs the permission "
            + Permission.UPLOAD_DATA.wireName() + " or " + Permission.TRIAGE_REQUESTS.wireName() + "; ask an administrator for a role that has one",
        Map.of("permission", Permission.UPLOAD_DATA.wireName(), "role", caller.role()));
  }

  private DatasetInfo dataset(DatasetId id) {
    return store.dataset(id).orElseThrow(() -> new NotFoundException(
        "DATASET_NOT_FOUND", "no dataset has id " + id + "; see `fedgrid dataset list`", Map.of("datasetId", id.value())));
  }

  private UserId userId(String name) throws SQLException {
    PreparedStatement s = db.statement("SELECT id FROM users WHERE name = ?");
    s.setString(1, name);
    return first(s, r -> UserId.of(r.getString(1))).orElseThrow(() -> new NotFoundException(
        "USER_NOT_FOUND", "no user is named '" + name + "'; see `fedgrid user list`", Map.of("user", name)));
  }

  private Optional<Rights> grant(UserId user, DatasetId dataset) {
    return db.transact("read the grant of " + user + " on " + dataset, () -> {
      PreparedStatement s = db.statement("SELECT process, download_results FROM dataset_grants WHERE dataset_id = ? AND user_id = ?");
      s.setString(1, dataset.value());
      s.setString(2, user.value());
      return first(s, r -> new Rights(r.getBoolean(1), r.getBoolean(2)));
    });
  }

  private DatasetGrant current(UserId user, DatasetId dataset) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + GRANT_COLUMNS + " WHERE g.dataset_id = ? AND g.user_id = ?");
    s.setString(1, dataset.value());
    s.setString(2, user.value());
    return first(s, DatasetAccess::grantRow).orElseThrow();
  }

  private static DatasetGrant grantRow(ResultSet r) throws SQLException {
    return new DatasetGrant(DatasetId.of(r.getString(1)), r.getString(2), r.getBoolean(3), r.getBoolean(4), r.getString(5), instant(r.getString(6)));
  }

  private static String wire(Visibility v) {
    return v == Visibility.PUBLIC ? "public" : "private";
  }
}
