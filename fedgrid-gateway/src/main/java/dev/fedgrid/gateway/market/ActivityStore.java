package dev.fedgrid.gateway.market;

import static dev.fedgrid.gateway.state.SqlDatabase.all;
import static dev.fedgrid.gateway.state.SqlDatabase.first;
import static dev.fedgrid.gateway.state.SqlDatabase.instant;
import static dev.fedgrid.gateway.state.SqlDatabase.instantOrNull;
import static dev.fedgrid.gateway.state.SqlDatabase.setNullable;
import static dev.fedgrid.gateway.state.SqlDatabase.text;

import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.market.ActivityState;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The rows of activities ({@code market_activit*} of V10): activities, their batches (submitted
 * scripts), each command's result and the filtered log. Only reads and writes rows; {@link
 * Activities} applies the rules. Every method must run inside {@link SqlDatabase#transact}.
 *
 * <p>Thread-safe as the database is.
 */
final class ActivityStore {
  static final String QUEUED = "queued";
  static final String RUNNING = "running";
  static final String DONE = "done";
  static final String FAILED = "failed";
  static final String CANCELLED = "cancelled";

  private final SqlDatabase db;

  ActivityStore(SqlDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  record ActivityRow(
      String id, String agreementId, String jobId, String nodeId, String requestor, ActivityState state, String reason, Instant createdAt,
      Instant updatedAt, String parametersDigest, long parametersSize, int logLines) {}

  /** script: the normalized JSON of the commands as submitted. */
  record BatchRow(String id, String activityId, String state, String script, int commands, String submittedBy, Instant submittedAt, Instant finishedAt) {}

  /** data: JSON of the numbers (and parameter digest) the command returned. */
  record ResultRow(String batchId, int index, String command, boolean ok, String message, Map<String, Object> data, Instant at) {}

  record LogRow(int seq, String batchId, int index, String line, Instant at) {}

  private static final String ACTIVITY_COLUMNS =
      "id, agreement_id, job_id, node_id, requestor, state, reason, created_at, updated_at, parameters_digest, COALESCE(LENGTH(parameters), 0), log_lines";
  private static final String BATCH_COLUMNS = "id, activity_id, state, script, commands, submitted_by, submitted_at, finished_at";

  // ---- activities ----

  void insertActivity(ActivityRow a) throws SQLException {
    PreparedStatement s = db.statement("INSERT INTO market_activities (id, agreement_id, job_id, node_id, requestor, state, reason, created_at, updated_at,"
        + " parameters, parameters_digest, log_lines) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0)");
    s.setString(1, a.id());
    s.setString(2, a.agreementId());
    s.setString(3, a.jobId());
    s.setString(4, a.nodeId());
    s.setString(5, a.requestor());
    s.setString(6, a.state().name());
    s.setString(7, a.reason());
    s.setString(8, text(a.createdAt()));
    s.setString(9, text(a.updatedAt()));
    s.executeUpdate();
  }

  Optional<ActivityRow> activity(String id) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + ACTIVITY_COLUMNS + " FROM market_activities WHERE id = ?");
    s.setString(1, id);
    return first(s, ActivityStore::activityRow);
  }

  /** Activities after {@code cursor}, of {@code requestor} and {@code agreement} when given. */
  List<ActivityRow> activities(Optional<String> requestor, Optional<String> agreement, String cursor, int limit) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + ACTIVITY_COLUMNS + " FROM market_activities"
        + " WHERE id > ? AND (CAST(? AS TEXT) IS NULL OR requestor = ?) AND (CAST(? AS TEXT) IS NULL OR agreement_id = ?) ORDER BY id LIMIT ?");
    s.setString(1, cursor);
    setNullable(s, 2, requestor.orElse(null));
    setNullable(s, 3, requestor.orElse(null));
    setNullable(s, 4, agreement.orElse(null));
    setNullable(s, 5, agreement.orElse(null));
    s.setInt(6, limit);
    return all(s, ActivityStore::activityRow);
  }

  void setState(String id, ActivityState state, String reason, Instant at) throws SQLException {
    PreparedStatement s = db.statement("UPDATE market_activities SET state = ?, reason = ?, updated_at = ? WHERE id = ?");
    s.setString(1, state.name());
    s.setString(2, reason);
    s.setString(3, text(at));
    s.setString(4, id);
    s.executeUpdate();
  }

  void setParameters(String id, byte[] parameters, String digest, Instant at) throws SQLException {
    PreparedStatement s = db.statement("UPDATE market_activities SET parameters = ?, parameters_digest = ?, updated_at = ? WHERE id = ?");
    s.setBytes(1, parameters);
    s.setString(2, digest);
    s.setString(3, text(at));
    s.setString(4, id);
    s.executeUpdate();
  }

  // ---- batches ----

  void insertBatch(BatchRow b) throws SQLException {
    PreparedStatement s = db.statement(
        "INSERT INTO market_activity_batches (id, activity_id, state, script, commands, submitted_by, submitted_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)");
    s.setString(1, b.id());
    s.setString(2, b.activityId());
    s.setString(3, b.state());
    s.setString(4, b.script());
    s.setInt(5, b.commands());
    s.setString(6, b.submittedBy());
    s.setString(7, text(b.submittedAt()));
    s.executeUpdate();
  }

  Optional<BatchRow> batch(String id) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + BATCH_COLUMNS + " FROM market_activity_batches WHERE id = ?");
    s.setString(1, id);
    return first(s, ActivityStore::batchRow);
  }

  /** The activity's queued or running batch, if any (at most one exists). */
  Optional<BatchRow> openBatch(String activityId) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + BATCH_COLUMNS + " FROM market_activity_batches WHERE activity_id = ? AND state IN ('queued', 'running')");
    s.setString(1, activityId);
    return first(s, ActivityStore::batchRow);
  }

  List<BatchRow> batches(String activityId) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + BATCH_COLUMNS + " FROM market_activity_batches WHERE activity_id = ? ORDER BY id");
    s.setString(1, activityId);
    return all(s, ActivityStore::batchRow);
  }

  /** The oldest queued batch of an activity on {@code nodeId} whose agreement is APPROVED. */
  Optional<BatchRow> nextQueued(String nodeId) throws SQLException {
    PreparedStatement s = db.statement("SELECT b.id, b.activity_id, b.state, b.script, b.commands, b.submitted_by, b.submitted_at, b.finished_at"
        + " FROM market_activity_batches b JOIN market_activities a ON a.id = b.activity_id JOIN market_agreements g ON g.id = a.agreement_id"
        + " WHERE b.state = 'queued' AND a.node_id = ? AND g.state = 'APPROVED' ORDER BY b.id LIMIT 1");
    s.setString(1, nodeId);
    return first(s, ActivityStore::batchRow);
  }

  void setBatchState(String id, String state, Instant finishedAt) throws SQLException {
    PreparedStatement s = db.statement("UPDATE market_activity_batches SET state = ?, finished_at = ? WHERE id = ?");
    s.setString(1, state);
    setNullable(s, 2, finishedAt == null ? null : text(finishedAt));
    s.setString(3, id);
    s.executeUpdate();
  }

  /** Marks a batch handed to its node at {@code at} (V11): the CPU time its results may claim starts there. */
  void setBatchStarted(String id, Instant at) throws SQLException {
    PreparedStatement s = db.statement("UPDATE market_activity_batches SET started_at = ? WHERE id = ?");
    s.setString(1, text(at));
    s.setString(2, id);
    s.executeUpdate();
  }

  Optional<Instant> batchStarted(String id) throws SQLException {
    PreparedStatement s = db.statement("SELECT started_at FROM market_activity_batches WHERE id = ?");
    s.setString(1, id);
    return first(s, r -> Optional.ofNullable(instantOrNull(r.getString(1)))).flatMap(t -> t);
  }

  // ---- usage (V11) ----

  /** What one successful command used: {@code command} is its kind as priced ahead ({@code run:fit}, {@code deploy}, ...). */
  record CommandUsage(String command, long examplesEpochs, long cpuMicros, long bytesMoved) {
    static final CommandUsage NONE = new CommandUsage("", 0, 0, 0);

    boolean isZero() {
      return examplesEpochs == 0 && cpuMicros == 0 && bytesMoved == 0;
    }
  }

  void insertUsage(String batchId, int index, String activityId, String agreementId, CommandUsage u, Instant at) throws SQLException {
    PreparedStatement s = db.statement("INSERT INTO market_activity_usage (batch_id, idx, activity_id, agreement_id, command, examples_epochs, cpu_micros,"
        + " bytes_moved, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, batchId);
    s.setInt(2, index);
    s.setString(3, activityId);
    s.setString(4, agreementId);
    s.setString(5, u.command());
    s.setLong(6, u.examplesEpochs());
    s.setLong(7, u.cpuMicros());
    s.setLong(8, u.bytesMoved());
    s.setString(9, text(at));
    s.executeUpdate();
  }

  /** The usage summed over the rows whose {@code column} is {@code value} ({@code activity_id} or {@code batch_id}). */
  CommandUsage usageBy(String column, String value) throws SQLException {
    if (!column.equals("activity_id") && !column.equals("batch_id")) throw new IllegalArgumentException(column);
    PreparedStatement s = db.statement("SELECT COALESCE(SUM(examples_epochs), 0), COALESCE(SUM(cpu_micros), 0), COALESCE(SUM(bytes_moved), 0)"
        + " FROM market_activity_usage WHERE " + column + " = ?");
    s.setString(1, value);
    return first(s, r -> new CommandUsage("", r.getLong(1), r.getLong(2), r.getLong(3))).orElse(CommandUsage.NONE);
  }

  /** The largest usage of one command of kind {@code command} in the activity so far, counter by counter: how the next one is priced ahead. */
  CommandUsage largest(String activityId, String command) throws SQLException {
    PreparedStatement s = db.statement("SELECT COALESCE(MAX(examples_epochs), 0), COALESCE(MAX(cpu_micros), 0), COALESCE(MAX(bytes_moved), 0)"
        + " FROM market_activity_usage WHERE activity_id = ? AND command = ?");
    s.setString(1, activityId);
    s.setString(2, command);
    return first(s, r -> new CommandUsage(command, r.getLong(1), r.getLong(2), r.getLong(3))).orElse(new CommandUsage(command, 0, 0, 0));
  }

  // ---- results and logs ----

  void insertResult(ResultRow r) throws SQLException {
    PreparedStatement s = db.statement("INSERT INTO market_activity_results (batch_id, idx, command, ok, message, data, at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, r.batchId());
    s.setInt(2, r.index());
    s.setString(3, r.command());
    s.setBoolean(4, r.ok());
    s.setString(5, r.message());
    s.setString(6, SqlDatabase.json(r.data()));
    s.setString(7, text(r.at()));
    s.executeUpdate();
  }

  List<ResultRow> results(String batchId) throws SQLException {
    PreparedStatement s = db.statement("SELECT batch_id, idx, command, ok, message, data, at FROM market_activity_results WHERE batch_id = ? ORDER BY idx");
    s.setString(1, batchId);
    return all(s, ActivityStore::resultRow);
  }

  /** Appends {@code line} as the activity's next log line. */
  void appendLog(String activityId, String batchId, int index, String line, Instant at) throws SQLException {
    PreparedStatement next = db.statement("UPDATE market_activities SET log_lines = log_lines + 1 WHERE id = ?");
    next.setString(1, activityId);
    next.executeUpdate();
    PreparedStatement s = db.statement("INSERT INTO market_activity_logs (activity_id, seq, batch_id, idx, line, at)"
        + " VALUES (?, (SELECT log_lines - 1 FROM market_activities WHERE id = ?), ?, ?, ?, ?)");
    s.setString(1, activityId);
    s.setString(2, activityId);
    s.setString(3, batchId);
    s.setInt(4, index);
    s.setString(5, line);
    s.setString(6, text(at));
    s.executeUpdate();
  }

  /** Log lines with {@code seq >= from}, oldest first. */
  List<LogRow> logs(String activityId, int from, int limit) throws SQLException {
    PreparedStatement s = db.statement("SELECT seq, batch_id, idx, line, at FROM market_activity_logs WHERE activity_id = ? AND seq >= ? ORDER BY seq LIMIT ?");
    s.setString(1, activityId);
    s.setInt(2, from);
    s.setInt(3, limit);
    return all(s, r -> new LogRow(r.getInt(1), r.getString(2), r.getInt(3), r.getString(4), instant(r.getString(5))));
  }

  private static ActivityRow activityRow(ResultSet r) throws SQLException {
    return new ActivityRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), ActivityState.valueOf(r.getString(6)),
        r.getString(7), instant(r.getString(8)), instant(r.getString(9)), r.getString(10), r.getLong(11), r.getInt(12));
  }

  private static BatchRow batchRow(ResultSet r) throws SQLException {
    return new BatchRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getInt(5), r.getString(6), instant(r.getString(7)),
        instantOrNull(r.getString(8)));
  }

  @SuppressWarnings("unchecked")
  private static ResultRow resultRow(ResultSet r) throws SQLException {
    return new ResultRow(r.getString(1), r.getInt(2), r.getString(3), r.getBoolean(4), r.getString(5), SqlDatabase.parse(r.getString(6), Map.class),
        instant(r.getString(7)));
  }
}
