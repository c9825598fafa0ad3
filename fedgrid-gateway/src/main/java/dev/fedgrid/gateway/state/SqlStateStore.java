package dev.fedgrid.gateway.state;

import static dev.fedgrid.gateway.state.SqlDatabase.all;
import static dev.fedgrid.gateway.state.SqlDatabase.corrupt;
import static dev.fedgrid.gateway.state.SqlDatabase.first;
import static dev.fedgrid.gateway.state.SqlDatabase.instant;
import static dev.fedgrid.gateway.state.SqlDatabase.json;
import static dev.fedgrid.gateway.state.SqlDatabase.parse;
import static dev.fedgrid.gateway.state.SqlDatabase.setNullable;
import static dev.fedgrid.gateway.state.SqlDatabase.text;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.core.tensor.TensorCodec;
import dev.fedgrid.gateway.json.Json;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link StateStore} in a SQL database over JDBC: an SQLite file by default, with SQL kept
 * portable for PostgreSQL. The schema is created and upgraded by Flyway from {@code
 * classpath:db/migration} when the store opens.
 *
 * <p><b>Storage.</b> Timestamps are stored as RFC 3339 UTC text with nine fractional digits, so an
 * {@link Instant} reads back exactly and text order is time order. Job specs, dataset metadata,
 * round summaries and metrics are JSON written by {@link Json#mapper()}; parameters and strategy
 * state are {@link TensorCodec} bytes.
 *
 * <p><b>Checkpoint retention.</b> A job keeps its round-0 checkpoint (the initial parameters) and
 * its {@value #KEPT_CHECKPOINTS} newest round checkpoints; older ones are deleted in the same
 * transaction that records a new round. Keeping every round of a 1M-parameter model for 1000
 * rounds would take 4 GB; the newest is all a resumed job needs, and one more guards against a
 * round that has to be undone.
 *
 * <p><b>Concurrency and durability.</b> Thread-safe. Every method is one transaction of the
 * {@link SqlDatabase} (see there for locking and durability), or joins the transaction already open
 * on the calling thread, so a job can be created in the same transaction as its audit event and
 * budget reservation. JSON and tensor encoding and decoding happen outside the transaction.
 *
 * <p>Errors: not-found and conflict cases are {@link NotFoundException} and {@link
 * ConflictException} as documented on {@link StateStore}; database failures are as documented on
 * {@link SqlDatabase}. Token hashes and parameters are never logged or put into messages.
 */
public final class SqlStateStore implements StateStore {
  /** Round checkpoints kept per job besides round 0. */
  public static final int KEPT_CHECKPOINTS = 2;

  private static final TypeReference<Map<String, Double>> METRICS = new TypeReference<>() {};
  private static final byte[] NO_STRATEGY_STATE = TensorCodec.encodeNamed(Map.of());

  private static final String NODE_COLUMNS =
      "id, name, cores, memory_mib, version, token_hash, registered_at, last_seen_at";
  private static final String DATASET_COLUMNS = "id, node_id, metadata, registered_at, visibility";
  private static final String JOB_COLUMNS =
      "id, spec, state, completed_rounds, message, created_at, started_at, finished_at, metrics, owner";

  private final SqlDatabase db;
  private final boolean ownsDatabase;

  /**
   * A store over {@code db}, which the caller keeps and closes; every method joins a transaction
   * already open on the calling thread (see {@link SqlDatabase#transact}).
   */
  public SqlStateStore(SqlDatabase db) {
    this(db, false);
  }

  private SqlStateStore(SqlDatabase db, boolean ownsDatabase) {
    this.db = Objects.requireNonNull(db, "db");
    this.ownsDatabase = ownsDatabase;
  }

  /**
   * Opens (creating when missing) the SQLite state file {@code file} and brings its schema up to
   * date; closing the store closes the file.
   *
   * @param file the database file, such as {@code ~/.fedgrid/gateway/state.db}; missing parent
   *     directories are created
   * @throws UnavailableException with code {@code STATE_STORE_UNAVAILABLE} when the file cannot be
   *     created, opened or migrated
   */
  public static SqlStateStore sqlite(Path file) {
    return new SqlStateStore(SqlDatabase.sqlite(file), true);
  }

  /** The database this store keeps its state in. */
  public SqlDatabase database() {
    return db;
  }

  // ---- nodes ----

  @Override
  public void putNode(NodeRecord node) {
    Objects.requireNonNull(node.id(), "node id");
    Objects.requireNonNull(node.name(), "node name");
    Objects.requireNonNull(node.tokenHash(), "node token hash");
    String registeredAt = text(Objects.requireNonNull(node.registeredAt(), "node registeredAt"));
    String lastSeenAt = text(Objects.requireNonNull(node.lastSeenAt(), "node lastSeenAt"));
    transact("store node " + node.id(), () -> {
      // An upsert: SQLite's INSERT OR REPLACE would delete the row first and trip the datasets' foreign key.
      PreparedStatement s =
          statement(
              "INSERT INTO nodes (" + NODE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                  + " name = excluded.name, cores = excluded.cores, memory_mib = excluded.memory_mib,"
                  + " version = excluded.version, token_hash = excluded.token_hash,"
                  + " registered_at = excluded.registered_at, last_seen_at = excluded.last_seen_at");
      s.setString(1, node.id().value());
      s.setString(2, node.name());
      s.setInt(3, node.cores());
      s.setLong(4, node.memoryMib());
      s.setString(5, node.version());
      s.setBytes(6, node.tokenHash());
      s.setString(7, registeredAt);
      s.setString(8, lastSeenAt);
      s.executeUpdate();
      return null;
    });
  }

  @Override
  public Optional<NodeRecord> node(NodeId id) {
    return transact("read node " + id, () -> {
      PreparedStatement s = statement("SELECT " + NODE_COLUMNS + " FROM nodes WHERE id = ?");
      s.setString(1, id.value());
      return first(s, SqlStateStore::nodeRow);
    });
  }

  @Override
  public List<NodeRecord> nodes() {
    return transact("list nodes", () -> all(statement("SELECT " + NODE_COLUMNS + " FROM nodes ORDER BY registered_at, id"), SqlStateStore::nodeRow));
  }

  /** {@inheritDoc} The last-seen time never moves backwards: an older {@code when} is ignored. */
  @Override
  public void touchNode(NodeId id, Instant when) {
    String at = text(when);
    transact("touch node " + id, () -> {
      PreparedStatement s = statement("UPDATE nodes SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?");
      s.setString(1, at);
      s.setString(2, id.value());
      s.setString(3, at);
      s.executeUpdate();
      return null;
    });
  }

  // ---- datasets ----

  /**
   * {@inheritDoc} An updated dataset keeps its first registration time.
   *
   * @throws NotFoundException with code {@code NODE_NOT_FOUND} when the node is not stored
   */
  @Override
  public DatasetInfo putDataset(NodeId node, DatasetMetadata metadata, Instant when) {
    String json = json(metadata);
    String at = text(when);
    return transact("store dataset " + metadata.name() + " of node " + node, () -> {
      PreparedStatement find = statement("SELECT id, registered_at, visibility FROM datasets WHERE node_id = ? AND name = ?");
      find.setString(1, node.value());
      find.setString(2, metadata.name());
      Optional<DatasetInfo> existing = first(find, r -> new DatasetInfo(DatasetId.of(r.getString(1)), node, visible(metadata, r.getString(3)), instant(r.getString(2))));
      if (existing.isPresent()) {
        PreparedStatement update = statement("UPDATE datasets SET metadata = ? WHERE id = ?");
        update.setString(1, json);
        update.setString(2, existing.get().id().value());
        update.executeUpdate();
        return existing.get();
      }
      if (!exists("SELECT 1 FROM nodes WHERE id = ?", node.value())) {
        throw new NotFoundException(
            "NODE_NOT_FOUND", "node " + node + " is not registered; register the node before its datasets", Map.of("nodeId", node.value()));
      }
      DatasetInfo created = new DatasetInfo(DatasetId.random(), node, metadata, when);
      PreparedStatement insert = statement("INSERT INTO datasets (id, node_id, name, metadata, registered_at) VALUES (?, ?, ?, ?, ?)");
      insert.setString(1, created.id().value());
      insert.setString(2, node.value());
      insert.setString(3, metadata.name());
      insert.setString(4, json);
      insert.setString(5, at);
      insert.executeUpdate();
      return created;
    });
  }

  @Override
  public Optional<DatasetInfo> dataset(DatasetId id) {
    return transact("read dataset " + id, () -> {
      PreparedStatement s = statement("SELECT " + DATASET_COLUMNS + " FROM datasets WHERE id = ?");
      s.setString(1, id.value());
      return first(s, SqlStateStore::datasetRow);
    });
  }

  @Override
  public List<DatasetInfo> datasets(Optional<String> name) {
    return transact("list datasets", () -> {
      if (name.isEmpty()) {
        return all(statement("SELECT " + DATASET_COLUMNS + " FROM datasets ORDER BY registered_at, id"), SqlStateStore::datasetRow);
      }
      PreparedStatement s = statement("SELECT " + DATASET_COLUMNS + " FROM datasets WHERE name = ? ORDER BY registered_at, id");
      s.setString(1, name.get());
      return all(s, SqlStateStore::datasetRow);
    });
  }

  @Override
  public List<DatasetInfo> datasetsOf(NodeId node) {
    return transact("list datasets of node " + node, () -> {
      PreparedStatement s = statement("SELECT " + DATASET_COLUMNS + " FROM datasets WHERE node_id = ? ORDER BY registered_at, id");
      s.setString(1, node.value());
      return all(s, SqlStateStore::datasetRow);
    });
  }

  // ---- jobs ----

  /**
   * {@inheritDoc}
   *
   * @throws ConflictException with code {@code JOB_ALREADY_EXISTS}
   */
  @Override
  public void insertJob(Job job) {
    JobRow row = JobRow.of(job);
    String spec = json(job.spec());
    transact("store job " + job.id(), () -> {
      insertJobRow(job, row, spec);
      return null;
    });
  }

  @Override
  public void createJob(Job job, Parameters initial) {
    JobRow row = JobRow.of(job);
    String spec = json(job.spec());
    byte[] encoded = TensorCodec.encode(initial);
    transact("create job " + job.id(), () -> {
      insertJobRow(job, row, spec);
      upsertInitialCheckpoint(job.id(), encoded);
      return null;
    });
  }

  private void insertJobRow(Job job, JobRow row, String spec) throws SQLException {
    if (exists("SELECT 1 FROM jobs WHERE id = ?", job.id().value())) {
      throw new ConflictException("JOB_ALREADY_EXISTS", "job " + job.id() + " already exists; a job id is used once", Map.of("jobId", job.id().value()));
    }
    PreparedStatement s = statement("INSERT INTO jobs (" + JOB_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, job.id().value());
    s.setString(2, spec);
    s.setString(3, row.state);
    s.setInt(4, job.completedRounds());
    s.setString(5, job.message());
    s.setString(6, text(Objects.requireNonNull(job.createdAt(), "job createdAt")));
    setNullable(s, 7, row.startedAt);
    setNullable(s, 8, row.finishedAt);
    s.setString(9, row.metrics);
    s.setString(10, job.owner());
    s.executeUpdate();
  }

  /**
   * {@inheritDoc} The spec and creation time never change; staying in the same state is always
   * allowed.
   *
   * @throws NotFoundException with code {@code JOB_NOT_FOUND}
   * @throws ConflictException with code {@code JOB_STATE_CONFLICT}, and nothing is changed
   */
  @Override
  public void updateJob(Job job) {
    JobRow row = JobRow.of(job);
    transact("update job " + job.id(), () -> {
      checkTransition(job);
      writeJob(job, row);
      return null;
    });
  }

  @Override
  public Optional<Job> job(JobId id) {
    return transact("read job " + id, () -> {
      PreparedStatement s = statement("SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ?");
      s.setString(1, id.value());
      return first(s, SqlStateStore::jobRow);
    });
  }

  /** {@inheritDoc} Ids sort by creation time, so newest first is highest id first. */
  @Override
  public List<Job> jobs(List<JobState> states, Optional<String> owner, Optional<JobId> after, int limit) {
    if (limit < 1) throw new IllegalArgumentException("limit must be positive, got " + limit);
    List<JobState> wanted = states.stream().distinct().toList();
    var sql = new StringBuilder("SELECT ").append(JOB_COLUMNS).append(" FROM jobs WHERE 1 = 1");
    if (!wanted.isEmpty()) sql.append(" AND state IN (").append("?, ".repeat(wanted.size() - 1)).append("?)");
    if (owner.isPresent()) sql.append(" AND owner = ?");
    if (after.isPresent()) sql.append(" AND id < ?");
    sql.append(" ORDER BY id DESC LIMIT ?");
    return transact("list jobs", () -> {
      PreparedStatement s = statement(sql.toString());
      int i = 1;
      for (JobState state : wanted) s.setString(i++, state.wireName());
      if (owner.isPresent()) s.setString(i++, owner.get());
      if (after.isPresent()) s.setString(i++, after.get().value());
      s.setInt(i, limit);
      return all(s, SqlStateStore::jobRow);
    });
  }

  /**
   * {@inheritDoc}
   *
   * @throws NotFoundException with code {@code JOB_NOT_FOUND}
   */
  @Override
  public void deleteJob(JobId id) {
    transact("delete job " + id, () -> { // rounds, checkpoints and events go by ON DELETE CASCADE
      PreparedStatement s = statement("DELETE FROM jobs WHERE id = ?");
      s.setString(1, id.value());
      if (s.executeUpdate() == 0) throw jobNotFound(id);
      return null;
    });
  }

  // ---- rounds and checkpoints ----

  /**
   * {@inheritDoc}
   *
   * @throws NotFoundException with code {@code JOB_NOT_FOUND}
   */
  @Override
  public void saveInitialCheckpoint(JobId job, Parameters parameters) {
    byte[] encoded = TensorCodec.encode(parameters);
    transact("store the initial checkpoint of job " + job, () -> {
      if (!exists("SELECT 1 FROM jobs WHERE id = ?", job.value())) throw jobNotFound(job);
      upsertInitialCheckpoint(job, encoded);
      return null;
    });
  }

  private void upsertInitialCheckpoint(JobId job, byte[] encoded) throws SQLException {
    PreparedStatement s =
        statement(
            "INSERT INTO checkpoints (job_id, round, parameters, strategy_state) VALUES (?, 0, ?, ?)"
                + " ON CONFLICT (job_id, round) DO UPDATE SET parameters = excluded.parameters, strategy_state = excluded.strategy_state");
    s.setString(1, job.value());
    s.setBytes(2, encoded);
    s.setBytes(3, NO_STRATEGY_STATE);
    s.executeUpdate();
  }


  /**
   * {@inheritDoc} Checkpoints older than the {@value #KEPT_CHECKPOINTS} newest rounds are deleted,
   * except round 0.
   *
   * @throws IllegalArgumentException when the job, summary and checkpoint do not name the same job
   *     and round, or the round is below 1
   * @throws NotFoundException with code {@code JOB_NOT_FOUND}
   * @throws ConflictException with code {@code ROUND_ALREADY_RECORDED}, or {@code
   *     JOB_STATE_CONFLICT} when the job's state cannot move to {@code job.state()}; nothing is
   *     changed
   */
  @Override
  public void completeRound(Job job, RoundSummary summary, Checkpoint checkpoint) {
    int round = summary.round();
    if (!job.id().equals(summary.jobId())) {
      throw new IllegalArgumentException("round summary of job " + summary.jobId() + " given for job " + job.id());
    }
    if (round < 1 || checkpoint.round() != round || job.completedRounds() != round) {
      throw new IllegalArgumentException(
          "round " + round + " of job " + job.id() + " needs a checkpoint for round " + round + " (got " + checkpoint.round()
              + ") and a job with completedRounds " + round + " (got " + job.completedRounds() + ")");
    }
    JobRow row = JobRow.of(job);
    String summaryJson = json(summary);
    byte[] parameters = TensorCodec.encode(checkpoint.parameters());
    byte[] strategyState = TensorCodec.encodeNamed(checkpoint.strategyState());
    transact("record round " + round + " of job " + job.id(), () -> {
      checkTransition(job);
      PreparedStatement find = statement("SELECT 1 FROM rounds WHERE job_id = ? AND round = ?");
      find.setString(1, job.id().value());
      find.setInt(2, round);
      if (first(find, r -> true).isPresent()) {
        throw new ConflictException(
            "ROUND_ALREADY_RECORDED",
            "round " + round + " of job " + job.id() + " is already recorded; each round is recorded once",
            Map.of("jobId", job.id().value(), "round", round));
      }
      PreparedStatement insertRound = statement("INSERT INTO rounds (job_id, round, summary) VALUES (?, ?, ?)");
      insertRound.setString(1, job.id().value());
      insertRound.setInt(2, round);
      insertRound.setString(3, summaryJson);
      insertRound.executeUpdate();
      PreparedStatement insertCheckpoint = statement("INSERT INTO checkpoints (job_id, round, parameters, strategy_state) VALUES (?, ?, ?, ?)");
      insertCheckpoint.setString(1, job.id().value());
      insertCheckpoint.setInt(2, round);
      insertCheckpoint.setBytes(3, parameters);
      insertCheckpoint.setBytes(4, strategyState);
      insertCheckpoint.executeUpdate();
      PreparedStatement prune =
          statement(
              "DELETE FROM checkpoints WHERE job_id = ? AND round > 0 AND round NOT IN"
                  + " (SELECT round FROM checkpoints WHERE job_id = ? ORDER BY round DESC LIMIT " + KEPT_CHECKPOINTS + ")");
      prune.setString(1, job.id().value());
      prune.setString(2, job.id().value());
      prune.executeUpdate();
      if (summary.epsilon() != null) recordSpend(job.id(), summary.epsilon());
      writeJob(job, row);
      return null;
    });
  }

  /**
   * Records what a job with differential privacy has spent so far in the privacy ledger (V5), in
   * the transaction of its round, so a budget never shows a round as unspent once it is stored.
   */
  private void recordSpend(JobId job, double epsilon) throws SQLException {
    PreparedStatement s = statement("UPDATE privacy_ledger SET spent_epsilon = ? WHERE job_id = ?");
    s.setDouble(1, epsilon);
    s.setString(2, job.value());
    s.executeUpdate();
  }

  @Override
  public Optional<Checkpoint> latestCheckpoint(JobId job) {
    record Stored(int round, byte[] parameters, byte[] strategyState) {}
    Optional<Stored> stored = transact("read the latest checkpoint of job " + job, () -> {
      PreparedStatement s = statement("SELECT round, parameters, strategy_state FROM checkpoints WHERE job_id = ? ORDER BY round DESC LIMIT 1");
      s.setString(1, job.value());
      return first(s, r -> new Stored(r.getInt(1), r.getBytes(2), r.getBytes(3)));
    });
    return stored.map(c -> {
      try {
        return new Checkpoint(c.round(), TensorCodec.decode(c.parameters()), TensorCodec.decodeNamed(c.strategyState()));
      } catch (RuntimeException e) {
        throw corrupt("checkpoint " + c.round() + " of job " + job, e);
      }
    });
  }

  /**
   * The latest checkpoint's parameters exactly as stored (the tensor codec's bytes), without
   * decoding them or the strategy state: what is streamed to a node as is, or measured.
   */
  public Optional<byte[]> latestParameterBytes(JobId job) {
    return transact("read the latest parameters of job " + job, () -> {
      PreparedStatement s = statement("SELECT parameters FROM checkpoints WHERE job_id = ? ORDER BY round DESC LIMIT 1");
      s.setString(1, job.value());
      return first(s, r -> r.getBytes(1));
    });
  }

  @Override
  public List<RoundSummary> rounds(JobId job) {
    List<String> summaries = transact("list the rounds of job " + job, () -> {
      PreparedStatement s = statement("SELECT summary FROM rounds WHERE job_id = ? ORDER BY round");
      s.setString(1, job.value());
      return all(s, r -> r.getString(1));
    });
    var out = new ArrayList<RoundSummary>(summaries.size());
    for (String summary : summaries) out.add(parse(summary, RoundSummary.class));
    return out;
  }

  // ---- events ----

  /**
   * {@inheritDoc}
   *
   * @throws NotFoundException with code {@code JOB_NOT_FOUND}
   */
  @Override
  public JobEvent appendEvent(JobId job, String type, String message, Instant when) {
    Objects.requireNonNull(type, "event type");
    Objects.requireNonNull(message, "event message");
    String at = text(when);
    return transact("append an event to job " + job, () -> {
      if (!exists("SELECT 1 FROM jobs WHERE id = ?", job.value())) throw jobNotFound(job);
      PreparedStatement last = statement("SELECT MAX(seq) FROM job_events WHERE job_id = ?");
      last.setString(1, job.value());
      long seq = first(last, r -> r.getLong(1)).orElse(0L) + 1; // MAX of no rows is NULL, read as 0
      PreparedStatement insert = statement("INSERT INTO job_events (job_id, seq, type, message, at) VALUES (?, ?, ?, ?, ?)");
      insert.setString(1, job.value());
      insert.setLong(2, seq);
      insert.setString(3, type);
      insert.setString(4, message);
      insert.setString(5, at);
      insert.executeUpdate();
      return new JobEvent(job, seq, type, message, when);
    });
  }

  @Override
  public List<JobEvent> events(JobId job, long afterSeq) {
    return transact("list the events of job " + job, () -> {
      PreparedStatement s = statement("SELECT seq, type, message, at FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq");
      s.setString(1, job.value());
      s.setLong(2, afterSeq);
      return all(s, r -> new JobEvent(job, r.getLong(1), r.getString(2), r.getString(3), instant(r.getString(4))));
    });
  }

  /** Closes the database when this store opened it; later calls throw {@code STATE_STORE_CLOSED}. Idempotent. */
  @Override
  public void close() {
    if (ownsDatabase) db.close();
  }

  @Override
  public String toString() {
    return "SqlStateStore[" + db.location() + "]";
  }

  private <T> T transact(String what, SqlDatabase.Work<T> work) {
    return db.transact(what, work);
  }

  private PreparedStatement statement(String sql) throws SQLException {
    return db.statement(sql);
  }

  private boolean exists(String sql, String id) throws SQLException {
    PreparedStatement s = statement(sql);
    s.setString(1, id);
    return first(s, r -> true).isPresent();
  }

  // ---- jobs ----

  /** A job's columns that are computed before taking the lock. */
  private record JobRow(String state, String startedAt, String finishedAt, String metrics) {
    static JobRow of(Job job) {
      Objects.requireNonNull(job.id(), "job id");
      Objects.requireNonNull(job.spec(), "job spec");
      return new JobRow(
          Objects.requireNonNull(job.state(), "job state").wireName(),
          job.startedAt() == null ? null : text(job.startedAt()),
          job.finishedAt() == null ? null : text(job.finishedAt()),
          json(job.metrics()));
    }
  }

  /** Refuses a state change the job state machine does not allow; callers hold the lock. */
  private void checkTransition(Job job) throws SQLException {
    PreparedStatement s = statement("SELECT state FROM jobs WHERE id = ?");
    s.setString(1, job.id().value());
    JobState stored = first(s, r -> state(r.getString(1))).orElseThrow(() -> jobNotFound(job.id()));
    if (stored != job.state() && !stored.canMoveTo(job.state())) {
      throw new ConflictException(
          "JOB_STATE_CONFLICT",
          "job " + job.id() + " is " + stored.wireName() + " and cannot become " + job.state().wireName()
              + (stored.isTerminal() ? "; a finished job stays finished" : "; a job moves queued -> running -> completed, failed or cancelled"),
          Map.of("jobId", job.id().value(), "from", stored.wireName(), "to", job.state().wireName()));
    }
  }

  private void writeJob(Job job, JobRow row) throws SQLException {
    PreparedStatement s =
        statement("UPDATE jobs SET state = ?, completed_rounds = ?, message = ?, started_at = ?, finished_at = ?, metrics = ? WHERE id = ?");
    s.setString(1, row.state);
    s.setInt(2, job.completedRounds());
    s.setString(3, job.message());
    setNullable(s, 4, row.startedAt);
    setNullable(s, 5, row.finishedAt);
    s.setString(6, row.metrics);
    s.setString(7, job.id().value());
    s.executeUpdate();
  }

  private static NotFoundException jobNotFound(JobId id) {
    return new NotFoundException("JOB_NOT_FOUND", "job " + id + " does not exist; list jobs to see their ids", Map.of("jobId", id.value()));
  }

  // ---- rows ----

  private static NodeRecord nodeRow(ResultSet r) throws SQLException {
    return new NodeRecord(
        NodeId.of(r.getString(1)), r.getString(2), r.getInt(3), r.getLong(4), r.getString(5), r.getBytes(6), instant(r.getString(7)), instant(r.getString(8)));
  }

  private static DatasetInfo datasetRow(ResultSet r) throws SQLException {
    DatasetMetadata declared = parse(r.getString(3), DatasetMetadata.class);
    return new DatasetInfo(DatasetId.of(r.getString(1)), NodeId.of(r.getString(2)), visible(declared, r.getString(5)), instant(r.getString(4)));
  }

  /**
   * The metadata with the visibility a data owner set on the gateway (column {@code visibility},
   * V4), which overrides what the node declared; {@code null} keeps the node's.
   */
  private static DatasetMetadata visible(DatasetMetadata declared, String visibility) {
    if (visibility == null) return declared;
    return declared.withVisibility(switch (visibility) {
      case "public" -> Visibility.PUBLIC;
      case "private" -> Visibility.PRIVATE;
      default -> throw corrupt("dataset visibility '" + visibility + "'", null);
    });
  }


  private static Job jobRow(ResultSet r) throws SQLException {
    String id = r.getString(1);
    String startedAt = r.getString(7);
    String finishedAt = r.getString(8);
    Map<String, Double> metrics;
    try {
      metrics = Json.mapper().readValue(r.getString(9), METRICS);
    } catch (JacksonException | RuntimeException e) {
      throw corrupt("metrics of job " + id, e);
    }
    return new Job(
        JobId.of(id),
        parse(r.getString(2), JobSpec.class),
        state(r.getString(3)),
        r.getInt(4),
        r.getString(5),
        instant(r.getString(6)),
        startedAt == null ? null : instant(startedAt),
        finishedAt == null ? null : instant(finishedAt),
        metrics,
        r.getString(10));
  }

  private static JobState state(String wireName) {
    for (JobState s : JobState.values()) {
      if (s.wireName().equals(wireName)) return s;
    }
    throw corrupt("job state '" + wireName + "'", null);
  }
}
