package dev.fedgrid.gateway.market;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.Ids;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.core.tensor.TensorCodec;
import dev.fedgrid.gateway.access.DatasetAccess;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.fleet.ActivityBackend;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.market.ActivityStore.ActivityRow;
import dev.fedgrid.gateway.market.ActivityStore.BatchRow;
import dev.fedgrid.gateway.market.ActivityStore.CommandUsage;
import dev.fedgrid.gateway.market.ActivityStore.ResultRow;
import dev.fedgrid.gateway.market.MarketStore.AgreementRow;
import dev.fedgrid.gateway.market.MarketViews.Page;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.gateway.state.SqlStateStore;
import dev.fedgrid.market.ActivityCommand;
import dev.fedgrid.market.ActivityCommand.Deploy;
import dev.fedgrid.market.ActivityCommand.Endpoint;
import dev.fedgrid.market.ActivityCommand.ParameterSource;
import dev.fedgrid.market.ActivityCommand.Run;
import dev.fedgrid.market.ActivityCommand.RunKind;
import dev.fedgrid.market.ActivityCommand.Transfer;
import dev.fedgrid.market.ActivityId;
import dev.fedgrid.market.ActivityLogTemplate;
import dev.fedgrid.market.ActivityScript;
import dev.fedgrid.market.ActivityState;
import dev.fedgrid.market.AgreementState;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Activities: the work a node does under an APPROVED agreement, driven by scripts (docs/market.md,
 * "Activities"). The requestor creates an activity and submits scripts; the node named by the
 * agreement long polls for them ({@link ActivityBackend}), executes the commands in order and
 * reports each result, which moves the activity by {@link ActivityScript}'s table.
 *
 * <p><b>Rules.</b> A script is checked whole before it is queued: every command's arguments, the
 * table from the activity's state, the datasets (hosted by the agreement's node) and the job's
 * parameters where a command loads them, and the caller's rights on the datasets: an activity's
 * results come back at once, so a private dataset needs grants both to process it and to download
 * its results; a refused script changes nothing. One script at a time
 * per activity. An activity whose agreement is no longer APPROVED (terminated at a hard cap or at
 * the end of its job) is terminated when next read or acted on; so is its unfinished script.
 *
 * <p><b>What may come back.</b> Results hold a message written by the node's code, numbers
 * (metrics, counts, sizes) and a parameter digest; log lines are rendered here from {@link
 * ActivityLogTemplate}s and numbers, and anything else the node sends on the log channel is
 * dropped. Parameters a node transfers to the gateway are kept with the activity, shown by size
 * and digest only: like a job's result, they do not leave without a release.
 *
 * <p><b>Who.</b> Writes are the requestor's (the job's owner); reads are the requestor's, or any
 * activity's with {@code can_manage_infrastructure} (the provider side) or {@code
 * can_edit_settings}; anyone else gets 404.
 *
 * <p>Thread-safe: every operation is one database transaction.
 */
public final class Activities implements ActivityBackend {
  /** At most this many log lines per result; more are dropped and counted. */
  static final int MAX_LOG_LINES = 256;
  static final int MAX_VALUES = 64;
  static final int MAX_MESSAGE = 1000;
  private static final Pattern VALUE_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_.:/-]{0,63}");
  private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");
  private static final String BATCH = "bat";

  private final SqlDatabase db;
  private final SqlStateStore state;
  private final AuditLog audit;
  private final DatasetAccess access;
  private final InstantSource clock;
  private final ActivityStore store;
  private final MarketStore market;
  private final Market billing;
  private final Object queued = new Object();
  /** Parameter bytes the gateway streamed to or received from a node for a command not yet reported, by {@code batch:index}. */
  private final Map<String, Long> pendingBytes = new ConcurrentHashMap<>();

  public Activities(SqlDatabase db, SqlStateStore state, AuditLog audit, DatasetAccess access, InstantSource clock, Market billing) {
    this.db = Objects.requireNonNull(db, "db");
    this.state = Objects.requireNonNull(state, "state");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.access = Objects.requireNonNull(access, "access");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.store = new ActivityStore(db);
    this.market = new MarketStore(db);
    this.billing = Objects.requireNonNull(billing, "billing");
  }

  // ---- views ----

  public record ParametersView(String digest, long size) {}

  public record BatchSummary(String id, String state, int commands, Instant submittedAt) {}

  /** What the activity's successful commands used (docs/market.md, "Metering"); CPU time in microseconds. */
  public record UsageView(long examplesEpochs, long cpuMicros, long bytes) {}

  public record ActivityView(
      String id, String agreement, String job, String node, String requestor, String state, String reason, Instant createdAt, Instant updatedAt,
      ParametersView parameters, int logLines, UsageView usage, List<BatchSummary> batches) {}

  /** One command's result: {@code result} is {@code ok} or {@code error}; data holds numbers and {@code parametersDigest}. */
  public record ResultView(int index, String command, String result, String message, Map<String, Object> data, Instant at) {}

  public record BatchView(
      String id, String activity, String state, List<Map<String, Object>> commands, List<ResultView> results, String submittedBy, Instant submittedAt,
      Instant finishedAt) {}

  public record LogLineView(int seq, String batch, int index, String line, Instant at) {}

  public record LogPage(List<LogLineView> items, Integer next) {}

  // ---- the requestor's side ----

  /** The requestor of an APPROVED agreement creates an activity under it (state NEW). */
  public ActivityView create(Principal caller, String agreementId) {
    if (agreementId == null) throw MarketJson.field("agreement", "'agreement' is required: the id of an approved agreement (agr_...)");
    return db.transact("create an activity under " + agreementId, () -> {
      AgreementRow a = visibleAgreement(caller, agreementId);
      requireRequestor(caller, a.requestor(), "create activities under agreement " + agreementId);
      requireApproved(a);
      Instant now = clock.instant();
      var row = new ActivityRow(ActivityId.random().value(), a.id(), a.jobId(), a.nodeId(), a.requestor(), ActivityState.NEW, "", now, now, null, 0, 0);
      store.insertActivity(row);
      audit.append(caller.name(), "activity.created", row.id(), Map.of("agreement", a.id(), "job", a.jobId(), "node", a.nodeId()));
      return view(row);
    });
  }

  public Page<ActivityView> activities(Principal caller, Optional<String> agreement, String cursor, int limit) {
    Optional<String> requestor = seesAll(caller) ? Optional.empty() : Optional.of(caller.name());
    return db.transact("list activities", () -> {
      List<ActivityRow> rows = store.activities(requestor, agreement, cursor, limit);
      var items = new ArrayList<ActivityView>();
      for (ActivityRow r : rows) items.add(view(refresh(r)));
      return new Page<>(items, rows.size() == limit && !rows.isEmpty() ? rows.getLast().id() : null);
    });
  }

  public ActivityView activity(Principal caller, String id) {
    return db.transact("read activity " + id, () -> view(refresh(visible(caller, id))));
  }

  /**
   * The requestor submits a script; it is queued for the node and answered with its batch (state
   * {@code queued}), whose results fill in as the node reports them.
   *
   * @throws InvalidRequestException {@code INVALID_COMMAND} naming the index of a malformed
   *     command, or of one naming a dataset the agreement's node does not host
   * @throws ConflictException {@code ACTIVITY_STATE_CONFLICT} naming the index of the first
   *     command the table does not allow, {@code ACTIVITY_TERMINATED}, {@code ACTIVITY_BUSY} while
   *     another script is queued or running, {@code JOB_PARAMETERS_UNAVAILABLE}
   */
  public BatchView exec(Principal caller, String id, JsonNode commands) {
    ActivityScript script = ActivityScripts.parse(commands);
    ActivityRow before = db.transact("read activity " + id, () -> visible(caller, id));
    requireRequestor(caller, before.requestor(), "run scripts in activity " + id);
    checkResources(caller, before, script);
    String normalized = SqlDatabase.json(ActivityScripts.json(script));
    BatchView view = db.transact("queue a script in activity " + id, () -> {
      ActivityRow row = refresh(visible(caller, id));
      if (row.state().isFinal()) {
        throw new ConflictException("ACTIVITY_TERMINATED", "activity " + id + " is terminated" + (row.reason().isBlank() ? "" : " (" + row.reason() + ")")
            + "; create a new one under an approved agreement", Map.of("activity", id));
      }
      Optional<BatchRow> open = store.openBatch(id);
      if (open.isPresent()) {
        throw new ConflictException("ACTIVITY_BUSY", "activity " + id + " is running script " + open.get().id() + " (" + open.get().state()
            + "); wait for it to finish", Map.of("batch", open.get().id()));
      }
      script.check(row.state());
      var batch = new BatchRow(Ids.next(BATCH), id, ActivityStore.QUEUED, normalized, script.commands().size(), caller.name(), clock.instant(), null);
      store.insertBatch(batch);
      audit.append(caller.name(), "activity.script_submitted", id, Map.of("batch", batch.id(), "commands", names(script)));
      return view(batch);
    });
    synchronized (queued) {
      queued.notifyAll();
    }
    return view;
  }

  public BatchView batch(Principal caller, String id, String batchId) {
    return db.transact("read batch " + batchId, () -> {
      refresh(visible(caller, id));
      return view(store.batch(Ids.check(BATCH, batchId)).filter(b -> b.activityId().equals(id)).orElseThrow(() -> batchNotFound(batchId)));
    });
  }

  /** Log lines from {@code from} (a sequence number), at most {@code limit}. */
  public LogPage logs(Principal caller, String id, int from, int limit) {
    if (from < 0) throw MarketJson.field("from", "'from' is a log line's sequence number, 0 or more; got " + from);
    return db.transact("read the log of " + id, () -> {
      visible(caller, id);
      var rows = store.logs(id, from, limit);
      var items = rows.stream().map(l -> new LogLineView(l.seq(), l.batchId(), l.index(), l.line(), l.at())).toList();
      return new LogPage(items, rows.size() == limit && !rows.isEmpty() ? rows.getLast().seq() + 1 : null);
    });
  }

  /** The requestor terminates an activity; a queued or running script is cancelled. */
  public ActivityView terminate(Principal caller, String id, String reason) {
    return db.transact("terminate activity " + id, () -> {
      ActivityRow row = refresh(visible(caller, id));
      requireRequestor(caller, row.requestor(), "terminate activity " + id);
      if (row.state().isFinal()) throw new ConflictException("ACTIVITY_TERMINATED", "activity " + id + " is terminated already", Map.of("activity", id));
      String why = reason == null || reason.isBlank() ? "terminated by " + caller.name() : reason.strip();
      end(row, why, caller.name());
      return view(store.activity(id).orElseThrow());
    });
  }

  // ---- the node's side ----

  @Override
  public Optional<ScriptAssignment> pollScript(NodeId node, Duration maxWait) throws InterruptedException {
    long until = System.nanoTime() + maxWait.toNanos();
    while (true) {
      Optional<ScriptAssignment> next = db.transact("hand a script to " + node, () -> {
        while (true) {
          Optional<BatchRow> b = store.nextQueued(node.value());
          if (b.isEmpty()) return Optional.<ScriptAssignment>empty();
          ActivityRow a = store.activity(b.get().activityId()).orElseThrow();
          store.setBatchState(b.get().id(), ActivityStore.RUNNING, null);
          store.setBatchStarted(b.get().id(), clock.instant());
          if (admit(a, b.get(), 0)) return Optional.of(new ScriptAssignment(a.id(), b.get().id(), a.agreementId(), a.jobId(), script(b.get())));
        }
      });
      if (next.isPresent()) return next;
      long left = until - System.nanoTime();
      if (left <= 0) return Optional.empty();
      synchronized (queued) {
        queued.wait(Math.max(1, Math.min(Duration.ofNanos(left).toMillis(), 1000)));
      }
    }
  }

  @Override
  public boolean report(NodeId node, CommandReport r) {
    Map<String, Object> data = data(r);
    String message = message(r.message(), r.ok());
    boolean proceed = db.transact("store result " + r.index() + " of " + r.batchId(), () -> {
      ActivityRow activity = refresh(store.activity(nodeBatch(node, r.activityId(), r.batchId()).activityId()).orElseThrow());
      BatchRow batch = store.batch(r.batchId()).orElseThrow(); // after refresh, which cancels it when the agreement ended
      List<ResultRow> results = store.results(batch.id());
      if (r.index() < results.size()) {
        throw new ConflictException("RESULT_ALREADY_REPORTED", "command " + r.index() + " of " + batch.id() + " was reported already", Map.of("index", r.index()));
      }
      if (batch.state().equals(ActivityStore.CANCELLED)) return false;
      if (!batch.state().equals(ActivityStore.RUNNING)) {
        throw new ConflictException("RESULT_ALREADY_REPORTED", "script " + batch.id() + " is " + batch.state() + " already", Map.of("index", r.index()));
      }
      if (r.index() != results.size() || r.index() >= batch.commands()) {
        throw new InvalidRequestException("RESULT_OUT_OF_ORDER", "expected the result of command " + results.size() + " of " + batch.id() + ", got "
            + r.index(), Map.of("index", r.index()));
      }
      ActivityCommand command = script(batch).commands().get(r.index());
      Instant now = clock.instant();
      CommandUsage used = r.ok() ? usage(node, activity, batch, results, command, r, now) : CommandUsage.NONE;
      if (r.ok() && command instanceof Transfer t && t.to() == Endpoint.GATEWAY && !Objects.equals(activity.parametersDigest(), r.parametersDigest())) {
        throw new InvalidRequestException("PARAMETERS_DIGEST_MISMATCH", "command " + r.index() + " reports parameters " + r.parametersDigest()
            + " but the gateway received " + activity.parametersDigest(), Map.of("index", r.index()));
      }
      int dropped = 0;
      for (int i = 0; i < r.logs().size(); i++) {
        LogEntry e = r.logs().get(i);
        String line;
        try {
          if (i >= MAX_LOG_LINES) throw new InvalidRequestException("INVALID_LOG_LINE", "too many lines", Map.of());
          line = ActivityLogTemplate.of(e.template()).render(e.args());
        } catch (InvalidRequestException refused) {
          dropped++;
          continue;
        }
        store.appendLog(activity.id(), batch.id(), r.index(), line, e.at() == null ? now : e.at());
      }
      if (dropped > 0) store.appendLog(activity.id(), batch.id(), r.index(), "(gateway) " + dropped + " log line(s) dropped: not an allowed template", now);
      store.insertResult(new ResultRow(batch.id(), r.index(), command.name(), r.ok(), message, data, now));
      if (r.ok()) {
        if (!used.isZero()) store.insertUsage(batch.id(), r.index(), activity.id(), activity.agreementId(), used, now);
        ActivityState next = ActivityScript.after(activity.state(), command);
        if (next != activity.state()) store.setState(activity.id(), next, next.isFinal() ? "terminate command of " + batch.id() : "", now);
      }
      boolean last = r.index() == batch.commands() - 1;
      if (!r.ok() || last) {
        finish(activity, batch, r.ok() ? ActivityStore.DONE : ActivityStore.FAILED, r.index() + 1);
        return false;
      }
      return admit(store.activity(activity.id()).orElseThrow(), batch, r.index() + 1);
    });
    pendingBytes.remove(r.batchId() + ":" + r.index());
    return proceed;
  }

  /**
   * Ends a script: its state, then its bill when it used anything (a debit note with the
   * agreement's cumulative total, as after a round), then {@code activity.script_finished}.
   */
  private void finish(ActivityRow activity, BatchRow batch, String end, int results) throws SQLException {
    store.setBatchState(batch.id(), end, clock.instant());
    var details = new LinkedHashMap<String, String>();
    details.put("batch", batch.id());
    details.put("state", end);
    details.put("results", String.valueOf(results));
    if (!store.usageBy("batch_id", batch.id()).isZero()) details.putAll(billing.billActivity(activity.agreementId(), activity.id(), batch.id()));
    audit.append("system", "activity.script_finished", activity.id(), details);
  }

  /**
   * Whether command {@code index} of a running script may start: not when a debit note of the
   * agreement went unaccepted past its deadline (the agreement is then terminated on the provider's
   * behalf), nor when the agreement's usage so far plus what the command is expected to use would
   * price above the hard cap (the agreement is then terminated on the requestor's side, as at a
   * round). Either way the command gets an error result written by the gateway, the script fails
   * and is billed, and the activity ends with the agreement.
   */
  private boolean admit(ActivityRow activity, BatchRow batch, int index) throws SQLException {
    ActivityCommand c = script(batch).commands().get(index);
    CommandUsage expected = expected(activity, c);
    Optional<String> over = billing.refusesCommand(activity.agreementId(), expected.examplesEpochs(), expected.cpuMicros(), expected.bytesMoved(),
        "command " + index + " (" + expected.command() + ", expected " + expected.examplesEpochs() + " examples × epochs, " + expected.cpuMicros() / 1_000_000
            + " CPU seconds, " + expected.bytesMoved() + " bytes)");
    if (over.isEmpty()) return true;
    Instant now = clock.instant();
    store.insertResult(new ResultRow(batch.id(), index, c.name(), false, "not started: " + over.get(), Map.of(), now));
    finish(activity, batch, ActivityStore.FAILED, index + 1);
    billing.terminateAtHardCap(activity.agreementId(), over.get());
    end(store.activity(activity.id()).orElseThrow(), over.get(), "system");
    return false;
  }

  /**
   * What a command is expected to use, priced ahead at the hard cap: a fit's examples × epochs at
   * most (the dataset's training rows × the epochs asked), the job's parameters where it loads them,
   * and otherwise, counter by counter, the most a command of its kind used in this activity so far
   * (as a round is priced ahead by the last one).
   */
  private CommandUsage expected(ActivityRow activity, ActivityCommand c) throws SQLException {
    String kind = kind(c);
    CommandUsage like = store.largest(activity.id(), kind);
    long examples = like.examplesEpochs();
    long bytes = like.bytesMoved();
    if (c instanceof Run r && r.kind() == RunKind.FIT) {
      DatasetId dataset = r.dataset() != null ? r.dataset() : deployedDataset(activity.id());
      long rows = dataset == null ? 0 : state.dataset(dataset).map(d -> d.metadata().trainRows()).orElse(0L);
      examples = Math.max(examples, rows * r.training().epochs());
    }
    if (loadsJob(c)) {
      Optional<byte[]> parameters = state.latestParameterBytes(JobId.of(activity.jobId()));
      if (parameters.isPresent()) bytes = Math.max(bytes, parameters.get().length);
    }
    return new CommandUsage(kind, examples, like.cpuMicros(), bytes);
  }

  /**
   * A successful command's usage, validated: a fit's examples (a whole number, at most the
   * dataset's catalogued training rows) and epochs (those asked); the CPU time the node reports (0
   * or more, and at most its registered cores times the time since the command could start, plus a
   * second, as for tasks); the parameter bytes the gateway moved for it.
   *
   * @throws InvalidRequestException {@code INVALID_RESULT} or {@code INVALID_CPU_TIME}; nothing is stored
   */
  private CommandUsage usage(NodeId node, ActivityRow activity, BatchRow batch, List<ResultRow> results, ActivityCommand c, CommandReport r, Instant now)
      throws SQLException {
    long examplesEpochs = 0;
    if (c instanceof Run run && run.kind() == RunKind.FIT) {
      Double examples = r.values().get("examples");
      Double epochs = r.values().get("epochs");
      DatasetId dataset = run.dataset() != null ? run.dataset() : deployedDataset(activity.id());
      long rows = dataset == null ? 0 : state.dataset(dataset).map(d -> d.metadata().trainRows()).orElse(0L);
      if (examples == null || examples < 0 || examples != Math.rint(examples) || examples > rows) {
        throw new InvalidRequestException("INVALID_RESULT", "a fit reports 'examples', a whole number from 0 to the " + rows + " training rows of dataset "
            + dataset + "; got " + examples, Map.of("index", r.index()));
      }
      if (epochs == null || epochs.doubleValue() != run.training().epochs()) {
        throw new InvalidRequestException("INVALID_RESULT", "a fit reports 'epochs', the " + run.training().epochs() + " asked; got " + epochs, Map.of("index", r.index()));
      }
      examplesEpochs = examples.longValue() * run.training().epochs();
    }
    Instant since = results.isEmpty() ? store.batchStarted(batch.id()).orElse(batch.submittedAt()) : results.getLast().at();
    int cores = state.node(node).map(n -> n.cores()).orElse(1);
    long most = Duration.between(since, now).plusSeconds(1).toNanos() / 1000 * Math.max(1, cores);
    if (r.cpuMicros() < 0 || r.cpuMicros() > most) {
      throw new InvalidRequestException("INVALID_CPU_TIME", "command " + r.index() + " of " + batch.id() + " reports " + r.cpuMicros() + " µs of CPU time but node "
          + node + " registered " + cores + " core(s) and could start the command " + Duration.between(since, now).toMillis() + " ms ago (a second of slack"
          + " added); it must be 0 or more and at most that", Map.of("index", r.index()));
    }
    return new CommandUsage(kind(c), examplesEpochs, r.cpuMicros(), pendingBytes.getOrDefault(batch.id() + ":" + r.index(), 0L));
  }

  /** The dataset of the activity's last successful deploy; null when none. */
  private DatasetId deployedDataset(String activityId) throws SQLException {
    List<BatchRow> batches = new ArrayList<>(store.batches(activityId));
    batches.sort(java.util.Comparator.comparing(BatchRow::submittedAt).thenComparing(BatchRow::id));
    for (BatchRow b : batches.reversed()) {
      List<ActivityCommand> commands = script(b).commands();
      for (ResultRow res : store.results(b.id()).reversed()) {
        if (res.ok() && commands.get(res.index()) instanceof Deploy d) return d.dataset();
      }
    }
    return null;
  }

  /** A command's kind as priced ahead: {@code run:fit}, {@code run:evaluate}, {@code transfer:job>activity}, or its name. */
  static String kind(ActivityCommand c) {
    return switch (c) {
      case Run r -> "run:" + r.kind().name().toLowerCase(java.util.Locale.ROOT);
      case Transfer t -> "transfer:" + t.from().name().toLowerCase(java.util.Locale.ROOT) + ">" + t.to().name().toLowerCase(java.util.Locale.ROOT);
      default -> c.name();
    };
  }

  private static boolean loadsJob(ActivityCommand c) {
    return c instanceof Deploy d && d.parameters() == ParameterSource.JOB || c instanceof Transfer t && t.from() == Endpoint.JOB;
  }

  @Override
  public byte[] jobParameters(NodeId node, String activityId, String batchId, int index) {
    String jobId = db.transact("read " + batchId, () -> {
      BatchRow batch = running(nodeBatch(node, activityId, batchId));
      ActivityCommand c = command(batch, index);
      if (!loadsJob(c)) throw new ConflictException("NOT_A_PARAMETER_COMMAND", "command " + index + " of " + batchId + " (" + c.name() + ") loads no job parameters", Map.of("index", index));
      return store.activity(activityId).orElseThrow().jobId();
    });
    byte[] bytes = state.latestParameterBytes(JobId.of(jobId)).orElseThrow(() -> noJobParameters(jobId));
    pendingBytes.merge(batchId + ":" + index, (long) bytes.length, Long::sum); // metered with the command's result
    return bytes;
  }

  @Override
  public String storeParameters(NodeId node, String activityId, String batchId, int index, byte[] bytes) {
    Parameters decoded = TensorCodec.decode(bytes);
    int bad = decoded.firstNonFinite();
    if (bad >= 0) throw new InvalidRequestException("INVALID_PARAMETERS", "parameter " + bad + " is NaN or infinite; nothing was stored", Map.of("index", index));
    String digest = sha256(bytes);
    String stored = db.transact("store the parameters of " + activityId, () -> {
      BatchRow batch = running(nodeBatch(node, activityId, batchId));
      if (!(command(batch, index) instanceof Transfer t && t.to() == Endpoint.GATEWAY)) {
        throw new ConflictException("NOT_A_PARAMETER_COMMAND", "command " + index + " of " + batchId + " is not a transfer to the gateway", Map.of("index", index));
      }
      if (store.results(batchId).size() != index) {
        throw new InvalidRequestException("RESULT_OUT_OF_ORDER", "command " + index + " of " + batchId + " is not the one running", Map.of("index", index));
      }
      store.setParameters(activityId, bytes, digest, clock.instant());
      return digest;
    });
    pendingBytes.merge(batchId + ":" + index, (long) bytes.length, Long::sum); // metered with the command's result
    return stored;
  }

  /** The SHA-256 of {@code bytes}, lower-case hex: how results name parameters. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  // ---- rules ----

  /**
   * Datasets on the agreement's node that the caller may both process and take results of (an
   * activity's results come back at once, with no release request), and the job's parameters
   * where a command loads them.
   */
  private void checkResources(Principal caller, ActivityRow row, ActivityScript script) {
    for (int i = 0; i < script.commands().size(); i++) {
      ActivityCommand c = script.commands().get(i);
      DatasetId dataset = c instanceof Deploy d ? d.dataset() : c instanceof Run r ? r.dataset() : null;
      if (dataset != null) {
        Optional<DatasetInfo> info = state.dataset(dataset);
        if (info.isEmpty() || !info.get().nodeId().value().equals(row.nodeId())) {
          throw new InvalidRequestException("INVALID_COMMAND", "command " + i + " (" + c.name() + "): dataset " + dataset + " is not hosted by node "
              + row.nodeId() + ", the node of agreement " + row.agreementId(), Map.of("index", i, "field", "commands[" + i + "]." + c.name() + ".dataset"));
        }
        if (!access.mayProcess(caller, info.get()) || !access.mayDownloadResults(caller, dataset)) {
          throw new PermissionDeniedException("DATASET_ACCESS_DENIED", "command " + i + " (" + c.name() + "): user " + caller.name() + " may not run an activity on"
              + " dataset " + dataset + " (" + info.get().metadata().name() + "): an activity's results come back at once, so it needs a grant to process the"
              + " dataset and to download its results (public datasets need none); train on it with a job instead", Map.of("index", i, "dataset", dataset.value()));
        }
      }
      if (loadsJob(c) && state.latestParameterBytes(JobId.of(row.jobId())).isEmpty()) {
        throw new ConflictException("JOB_PARAMETERS_UNAVAILABLE", "command " + i + " (" + c.name() + ") loads the parameters of job " + row.jobId()
            + ", which has none yet", Map.of("index", i));
      }
    }
  }

  /**
   * The activity, terminated first when its agreement is no longer APPROVED: an activity is work
   * under an approved agreement, so it ends with it.
   */
  private ActivityRow refresh(ActivityRow row) throws SQLException {
    if (row.state().isFinal()) return row;
    AgreementRow a = market.agreement(row.agreementId()).orElseThrow();
    if (a.state() == AgreementState.APPROVED) return row;
    end(row, "agreement " + a.id() + " is " + a.state(), "system");
    return store.activity(row.id()).orElseThrow();
  }

  private void end(ActivityRow row, String reason, String actor) throws SQLException {
    Instant now = clock.instant();
    Optional<BatchRow> open = store.openBatch(row.id());
    if (open.isPresent()) store.setBatchState(open.get().id(), ActivityStore.CANCELLED, now);
    store.setState(row.id(), ActivityState.TERMINATED, reason, now);
    var details = new LinkedHashMap<String, String>();
    details.put("from", row.state().name());
    details.put("reason", reason);
    open.ifPresent(b -> details.put("cancelled", b.id()));
    audit.append(actor, "activity.terminated", row.id(), details);
  }

  private static void requireApproved(AgreementRow a) {
    if (a.state() != AgreementState.APPROVED) {
      throw new ConflictException("AGREEMENT_NOT_APPROVED", "agreement " + a.id() + " is " + a.state() + "; activities run only under an APPROVED agreement",
          Map.of("agreement", a.id(), "state", a.state().name()));
    }
  }

  private BatchRow nodeBatch(NodeId node, String activityId, String batchId) throws SQLException {
    ActivityId.of(activityId);
    Ids.check(BATCH, batchId);
    Optional<BatchRow> batch = store.batch(batchId).filter(b -> b.activityId().equals(activityId));
    Optional<ActivityRow> activity = store.activity(activityId).filter(a -> a.nodeId().equals(node.value()));
    if (batch.isEmpty() || activity.isEmpty()) throw batchNotFound(batchId);
    return batch.get();
  }

  private static BatchRow running(BatchRow b) {
    if (!b.state().equals(ActivityStore.RUNNING)) {
      throw new ConflictException("BATCH_NOT_RUNNING", "script " + b.id() + " is " + b.state() + "; stop executing it", Map.of("batch", b.id()));
    }
    return b;
  }

  private static ActivityCommand command(BatchRow b, int index) {
    List<ActivityCommand> commands = script(b).commands();
    if (index < 0 || index >= commands.size()) {
      throw new InvalidRequestException("RESULT_OUT_OF_ORDER", "script " + b.id() + " has no command " + index, Map.of("index", index));
    }
    return commands.get(index);
  }

  private static ActivityScript script(BatchRow b) {
    try {
      return ActivityScripts.parse(Json.mapper().readTree(b.script()));
    } catch (JsonProcessingException | FedGridException e) {
      throw new InternalException("STATE_CORRUPT", "the stored script of " + b.id() + " cannot be read: " + e.getMessage());
    }
  }

  /** The result's data: finite numbers under well-formed names, and the digest when given. */
  private static Map<String, Object> data(CommandReport r) {
    if (r.values().size() > MAX_VALUES) {
      throw new InvalidRequestException("INVALID_RESULT", "a result carries at most " + MAX_VALUES + " values, got " + r.values().size(), Map.of("index", r.index()));
    }
    var data = new TreeMap<String, Object>();
    for (var e : r.values().entrySet()) {
      if (!VALUE_KEY.matcher(e.getKey()).matches() || e.getValue() == null || !Double.isFinite(e.getValue())) {
        throw new InvalidRequestException("INVALID_RESULT", "result value '" + e.getKey() + "' is badly named, NaN or infinite", Map.of("index", r.index()));
      }
      data.put(e.getKey(), e.getValue());
    }
    String digest = r.parametersDigest() == null ? "" : r.parametersDigest();
    if (!digest.isEmpty()) {
      if (!DIGEST.matcher(digest).matches()) throw new InvalidRequestException("INVALID_RESULT", "parameters_digest is not a SHA-256 in lower-case hex", Map.of("index", r.index()));
      data.put("parametersDigest", digest);
    }
    return data;
  }

  private static String message(String m, boolean ok) {
    String clean = m == null ? "" : m.replaceAll("\\p{Cntrl}", " ").strip();
    if (clean.isEmpty()) return ok ? "ok" : "failed";
    return clean.length() > MAX_MESSAGE ? clean.substring(0, MAX_MESSAGE - 1) + "…" : clean;
  }

  private static String names(ActivityScript s) {
    return s.commands().stream().map(ActivityCommand::name).collect(Collectors.joining(","));
  }

  // ---- access ----

  private static boolean seesAll(Principal caller) {
    return caller.has(Permission.MANAGE_INFRASTRUCTURE) || caller.has(Permission.EDIT_SETTINGS);
  }

  private static void requireRequestor(Principal caller, String requestor, String action) {
    if (!caller.name().equals(requestor)) {
      throw new PermissionDeniedException("NOT_JOB_OWNER", "user " + caller.name() + " may not " + action + ": only the job's owner " + requestor
          + " acts as its requestor", Map.of("owner", requestor));
    }
  }

  private ActivityRow visible(Principal caller, String id) throws SQLException {
    ActivityId.of(id);
    return store.activity(id).filter(a -> seesAll(caller) || a.requestor().equals(caller.name()))
        .orElseThrow(() -> new NotFoundException("ACTIVITY_NOT_FOUND", "no activity has id " + id + "; see `fedgrid activity list`", Map.of("activity", id)));
  }

  private AgreementRow visibleAgreement(Principal caller, String id) throws SQLException {
    dev.fedgrid.market.AgreementId.of(id);
    return market.agreement(id).filter(a -> seesAll(caller) || a.requestor().equals(caller.name()))
        .orElseThrow(() -> new NotFoundException("AGREEMENT_NOT_FOUND", "no agreement has id " + id + "; see `fedgrid agreement list`", Map.of("agreement", id)));
  }

  private static NotFoundException batchNotFound(String id) {
    return new NotFoundException("BATCH_NOT_FOUND", "no script has id " + id + " in this activity", Map.of("batch", id));
  }

  private static ConflictException noJobParameters(String job) {
    return new ConflictException("JOB_PARAMETERS_UNAVAILABLE", "job " + job + " has no global parameters yet", Map.of("job", job));
  }

  // ---- views ----

  private ActivityView view(ActivityRow r) throws SQLException {
    var batches = store.batches(r.id()).stream().map(b -> new BatchSummary(b.id(), b.state(), b.commands(), b.submittedAt())).toList();
    ParametersView p = r.parametersDigest() == null ? null : new ParametersView(r.parametersDigest(), r.parametersSize());
    CommandUsage u = store.usageBy("activity_id", r.id());
    return new ActivityView(r.id(), r.agreementId(), r.jobId(), r.nodeId(), r.requestor(), r.state().name(), r.reason(), r.createdAt(), r.updatedAt(), p,
        r.logLines(), new UsageView(u.examplesEpochs(), u.cpuMicros(), u.bytesMoved()), batches);
  }

  @SuppressWarnings("unchecked")
  private BatchView view(BatchRow b) throws SQLException {
    var results = store.results(b.id()).stream().map(r -> new ResultView(r.index(), r.command(), r.ok() ? "ok" : "error", r.message(), r.data(), r.at())).toList();
    List<Map<String, Object>> commands = SqlDatabase.parse(b.script(), List.class);
    return new BatchView(b.id(), b.activityId(), b.state(), commands, results, b.submittedBy(), b.submittedAt(), b.finishedAt());
  }
}
