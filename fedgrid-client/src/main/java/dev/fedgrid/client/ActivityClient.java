package dev.fedgrid.client;

import com.fasterxml.jackson.databind.JavaType;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Activities under approved market agreements ({@code /activities}), from {@link
 * FedGridClient#activities()}: create one, run scripts of commands on the agreement's node and read
 * each command's result and the filtered log (docs/market.md, "Activities").
 *
 * <pre>{@code
 * var activities = client.activities();
 * Activity a = activities.create(agreement.id());
 * Batch queued = activities.exec(a.id(), List.of(
 *     Map.of("deploy", Map.of("model", spec, "dataset", datasetId)), Map.of("start", Map.of()),
 *     Map.of("run", Map.of("kind", "fit", "epochs", 2)), Map.of("terminate", Map.of())));
 * Batch done = activities.await(a.id(), queued.id(), Duration.ofMinutes(5), r -> System.out.println(r));
 * }</pre>
 *
 * <p>Thread-safe, as its client.
 */
public final class ActivityClient {
  private static final Duration POLL = Duration.ofMillis(250);
  private final FedGridClient client;

  ActivityClient(FedGridClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  // ---- the wire types ----

  /** Parameters the node transferred to the gateway, held there: their SHA-256 and size. */
  public record HeldParameters(String digest, long size) {}

  public record BatchSummary(String id, String state, int commands, Instant submittedAt) {}

  /** What the activity's successful commands used, as billed under its agreement: examples × epochs, CPU time in microseconds, bytes moved. */
  public record Usage(long examplesEpochs, long cpuMicros, long bytes) {}

  /** An activity; {@code state} is NEW, DEPLOYED, READY or TERMINATED. */
  public record Activity(
      String id, String agreement, String job, String node, String requestor, String state, String reason, Instant createdAt, Instant updatedAt,
      HeldParameters parameters, int logLines, Usage usage, List<BatchSummary> batches) {}

  /** One command's result; {@code data} holds numbers (metrics, counts, sizes) and {@code parametersDigest}. */
  public record Result(int index, String command, String result, String message, Map<String, Object> data, Instant at) {
    public boolean ok() {
      return "ok".equals(result);
    }
  }

  /** A submitted script: {@code state} is queued, running, done, failed or cancelled. */
  public record Batch(
      String id, String activity, String state, List<Map<String, Object>> commands, List<Result> results, String submittedBy, Instant submittedAt,
      Instant finishedAt) {
    /** Whether the node has nothing more to report. */
    public boolean finished() {
      return !state.equals("queued") && !state.equals("running");
    }

    /** Whether every command ran and succeeded. */
    public boolean succeeded() {
      return state.equals("done");
    }
  }

  public record LogLine(int seq, String batch, int index, String line, Instant at) {}

  /** Log lines, and the sequence number to ask {@code from} next when there may be more. */
  public record LogPage(List<LogLine> items, Integer next) {}

  // ---- calls ----

  /** Creates an activity (state NEW) under an APPROVED agreement of one's own job. */
  public Activity create(String agreement) {
    return post("/activities", Map.of("agreement", agreement), Activity.class);
  }

  public Page<Activity> activities(String agreement, String cursor, int limit) {
    var q = new ArrayList<String>();
    if (agreement != null) q.add("agreement=" + FedGridClient.encode(agreement));
    q.add("limit=" + limit);
    if (cursor != null) q.add("cursor=" + FedGridClient.encode(cursor));
    JavaType type = ClientJson.MAPPER.getTypeFactory().constructParametricType(Page.class, Activity.class);
    return client.send(client.request("/activities?" + String.join("&", q)).GET(), type);
  }

  public Activity activity(String id) {
    return get("/activities/" + FedGridClient.encode(id), Activity.class);
  }

  /**
   * Queues a script: {@code commands} is the JSON list of one-key objects ({@code {"deploy":
   * {...}}}, ...) as a {@code List} of maps or a Jackson tree.
   *
   * @throws dev.fedgrid.api.InvalidRequestException {@code INVALID_COMMAND} with {@code
   *     details.index} for a malformed command
   * @throws dev.fedgrid.api.ConflictException {@code ACTIVITY_STATE_CONFLICT} (with the index),
   *     {@code ACTIVITY_BUSY}, {@code ACTIVITY_TERMINATED}
   */
  public Batch exec(String id, Object commands) {
    return post("/activities/" + FedGridClient.encode(id) + "/exec", Map.of("commands", commands), Batch.class);
  }

  public Batch batch(String id, String batch) {
    return get("/activities/" + FedGridClient.encode(id) + "/batches/" + FedGridClient.encode(batch), Batch.class);
  }

  /**
   * Polls a script until it finishes, handing each result to {@code onResult} once, in order, as it
   * arrives.
   *
   * @throws TimeoutException when it has not finished within {@code timeout}
   */
  public Batch await(String id, String batch, Duration timeout, Consumer<Result> onResult) throws TimeoutException, InterruptedException {
    long until = System.nanoTime() + timeout.toNanos();
    int shown = 0;
    while (true) {
      Batch b = batch(id, batch);
      for (; shown < b.results().size(); shown++) onResult.accept(b.results().get(shown));
      if (b.finished()) return b;
      if (System.nanoTime() > until) throw new TimeoutException("script " + batch + " of activity " + id + " is still " + b.state() + " after " + timeout);
      Thread.sleep(POLL);
    }
  }

  /** Log lines from sequence number {@code from}, at most {@code limit}. */
  public LogPage logs(String id, int from, int limit) {
    return get("/activities/" + FedGridClient.encode(id) + "/logs?from=" + from + "&limit=" + limit, LogPage.class);
  }

  /** Terminates an activity; a queued or running script is cancelled. */
  public Activity terminate(String id, String reason) {
    return post("/activities/" + FedGridClient.encode(id) + "/terminate", Map.of("reason", reason == null ? "" : reason), Activity.class);
  }

  // ---- plumbing ----

  private <T> T get(String path, Class<T> type) {
    return client.send(client.request(path).GET(), FedGridClient.type(type));
  }

  private <T> T post(String path, Object body, Class<T> type) {
    HttpRequest.Builder b = client.request(path).POST(BodyPublishers.ofByteArray(FedGridClient.toJson(body))).header("Content-Type", "application/json");
    return client.send(b, FedGridClient.type(type));
  }
}
