package dev.fedgrid.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.node.NodeInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The Java SDK of FedGrid's control API: submit jobs, follow them live, fetch their models, and
 * browse nodes and datasets.
 *
 * <pre>{@code
 * try (var client = FedGridClient.builder().baseUri(URI.create("http://127.0.0.1:7600")).build()) {
 *   Job job = client.submitJob(spec);
 *   client.watch(job.id(), 0, e -> System.out.println(e.type() + ": " + e.message()));
 *   client.downloadModel(job.id(), Path.of("out"));
 * }
 * }</pre>
 *
 * <p>Every method throws a {@link FedGridException}: the subclass of the gateway's answer (for
 * example {@link dev.fedgrid.api.NotFoundException} with code {@code JOB_NOT_FOUND}) carrying the
 * gateway's code, message and details, or an {@link UnavailableException} with code {@code
 * GATEWAY_UNREACHABLE} when the gateway cannot be reached. The async variants complete
 * exceptionally with the same exceptions.
 *
 * <p>Thread-safe: one client may serve many threads. Close it to release its connections.
 */
public final class FedGridClient implements AutoCloseable {
  /** Where {@code fedgrid gateway start} listens by default. */
  public static final URI DEFAULT_BASE_URI = URI.create("http://127.0.0.1:7600");
  /** The default per-request timeout. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  /** How often {@link #watch} reconnects in a row by default before giving up. */
  public static final int DEFAULT_WATCH_RETRIES = 5;

  private static final String API = "/api/v1";
  private static final String JSON = "application/json";

  private final URI base;
  private final Duration timeout;
  private final int watchRetries;
  private final HttpClient http;

  private FedGridClient(Builder b) {
    this.base = b.baseUri;
    this.timeout = b.timeout;
    this.watchRetries = b.watchRetries;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
  }

  /** A builder with the defaults: {@link #DEFAULT_BASE_URI}, {@link #DEFAULT_TIMEOUT}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The gateway this client talks to. */
  public URI baseUri() {
    return base;
  }

  // ---- jobs ----

  /**
   * Submits a job; the gateway validates it against the named datasets and queues it.
   *
   * @return the queued job
   */
  public Job submitJob(JobSpec spec) {
    return join(submitJobAsync(spec));
  }

  /** As {@link #submitJob}, without blocking. */
  public CompletableFuture<Job> submitJobAsync(JobSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return sendAsync(request("/jobs").POST(BodyPublishers.ofByteArray(toJson(spec))).header("Content-Type", JSON), type(Job.class));
  }

  public Job job(JobId id) {
    return join(jobAsync(id));
  }

  public CompletableFuture<Job> jobAsync(JobId id) {
    return sendAsync(request("/jobs/" + id).GET(), type(Job.class));
  }

  /**
   * One page of jobs, newest first.
   *
   * @param states only jobs in these states; all when empty or {@code null}
   * @param cursor the previous page's {@link Page#nextCursor()}, or {@code null} for the first page
   * @param limit page size in [1, 500], or 0 for the gateway's default (50)
   */
  public Page<Job> jobs(List<JobState> states, String cursor, int limit) {
    return join(jobsAsync(states, cursor, limit));
  }

  public CompletableFuture<Page<Job>> jobsAsync(List<JobState> states, String cursor, int limit) {
    var query = new ArrayList<String>();
    if (states != null && !states.isEmpty()) {
      query.add("state=" + states.stream().map(JobState::wireName).collect(Collectors.joining(",")));
    }
    if (limit != 0) query.add("limit=" + limit);
    if (cursor != null && !cursor.isBlank()) query.add("cursor=" + encode(cursor));
    String path = "/jobs" + (query.isEmpty() ? "" : "?" + String.join("&", query));
    JavaType pageType = ClientJson.MAPPER.getTypeFactory().constructParametricType(Page.class, Job.class);
    return sendAsync(request(path).GET(), pageType);
  }

  /** Cancels a queued or running job; completed rounds and their model stay. */
  public Job cancelJob(JobId id) {
    return send(request("/jobs/" + id + "/cancel").POST(BodyPublishers.noBody()), type(Job.class));
  }

  /** Deletes a finished job with its rounds, checkpoints and events. */
  public void deleteJob(JobId id) {
    send(request("/jobs/" + id).DELETE(), null);
  }

  /** A job's completed rounds, in round order. */
  public List<RoundSummary> rounds(JobId id) {
    return items(request("/jobs/" + id + "/rounds").GET(), RoundSummary.class);
  }

  // ---- nodes and datasets ----

  public List<NodeInfo> nodes() {
    return items(request("/nodes").GET(), NodeInfo.class);
  }

  public NodeInfo node(NodeId id) {
    return send(request("/nodes/" + id).GET(), type(NodeInfo.class));
  }

  /**
   * The dataset catalogue.
   *
   * @param name only datasets with exactly this name, or {@code null} for all
   * @param tag only datasets with this tag, or {@code null} for all
   */
  public List<DatasetInfo> datasets(String name, String tag) {
    var query = new ArrayList<String>();
    if (name != null && !name.isBlank()) query.add("name=" + encode(name));
    if (tag != null && !tag.isBlank()) query.add("tag=" + encode(tag));
    return items(request("/datasets" + (query.isEmpty() ? "" : "?" + String.join("&", query))).GET(), DatasetInfo.class);
  }

  public DatasetInfo dataset(DatasetId id) {
    return send(request("/datasets/" + id).GET(), type(DatasetInfo.class));
  }

  // ---- models ----

  /** The spec, input shape, scaling and parameter layout of a job's latest model. */
  public ModelInfo modelSpec(JobId id) {
    return send(request("/jobs/" + id + "/model/spec").GET(), type(ModelInfo.class));
  }

  /**
   * Downloads a job's latest model into {@code dir} (created when missing) as {@code
   * model.safetensors} and {@code model.json} (the {@link ModelInfo}), replacing earlier files of
   * those names. Both describe the same round: the description is taken from the weights file's
   * own metadata.
   */
  public ModelDownload downloadModel(JobId id, Path dir) {
    Objects.requireNonNull(dir, "dir");
    Path weights = dir.resolve("model.safetensors");
    Path description = dir.resolve("model.json");
    var temporary = new ArrayList<Path>();
    try {
      HttpResponse<InputStream> res = http.send(request("/jobs/" + id + "/model").GET().build(), BodyHandlers.ofInputStream());
      Path partial;
      try (InputStream body = res.body()) {
        if (res.statusCode() != 200) throw Errors.fromResponse(res.statusCode(), body.readAllBytes(), "GET", res.uri());
        Files.createDirectories(dir);
        partial = Files.createTempFile(dir, "model", ".part");
        temporary.add(partial);
        Files.copy(body, partial, StandardCopyOption.REPLACE_EXISTING);
      }
      ModelInfo info = describe(id, partial);
      Path json = Files.createTempFile(dir, "model", ".part");
      temporary.add(json);
      Files.write(json, ClientJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(info));
      Files.move(partial, weights, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Files.move(json, description, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      temporary.clear();
      return new ModelDownload(id, info.round(), weights, description, Files.size(weights));
    } catch (FileSystemException e) {
      throw new InvalidRequestException(
          "CANNOT_WRITE_MODEL", "cannot write the model into " + dir + ": " + e.getMessage(), Map.of("dir", dir.toString()), e);
    } catch (IOException | InterruptedException e) {
      throw Errors.fromTransport(e, base, timeout);
    } finally {
      for (Path p : temporary) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort
        }
      }
    }
  }

  /** The description of a downloaded model, from its own metadata (or asked for, from an older gateway). */
  private ModelInfo describe(JobId id, Path file) throws IOException {
    Map<String, String> meta = SafetensorsHeader.metadata(file);
    if (!meta.containsKey("spec") || !meta.containsKey("inputShape") || !meta.containsKey("round")) return modelSpec(id);
    try {
      ModelSpec spec = ClientJson.MAPPER.readValue(meta.get("spec"), ModelSpec.class);
      List<Integer> inputShape = ClientJson.MAPPER.readValue(meta.get("inputShape"), new TypeReference<List<Integer>>() {});
      FeatureScaling scaling = meta.containsKey("scaling") ? ClientJson.MAPPER.readValue(meta.get("scaling"), FeatureScaling.class) : null;
      return new ModelInfo(id, Integer.parseInt(meta.get("round")), spec, inputShape, scaling, spec.parameterLayout(inputShape));
    } catch (IOException | RuntimeException e) {
      throw new InvalidRequestException(
          "INVALID_MODEL_FILE", "the downloaded model's metadata cannot be read (" + e.getMessage() + "); is the gateway a compatible FedGrid version?");
    }
  }

  // ---- events ----

  /**
   * Follows a job's events live, calling {@code consumer} for each one after {@code afterSeq} in
   * order, and returns once the job has finished and its last event was delivered.
   *
   * <p>A dropped connection is resumed with {@code Last-Event-ID}, so no event is lost or repeated;
   * after {@link Builder#watchRetries} failed reconnections in a row it gives up with the last
   * failure. The consumer runs on the calling thread; an exception it throws ends the watch.
   *
   * @param afterSeq 0 for every event, or the {@link JobEventView#seq()} of the last event seen
   * @throws dev.fedgrid.api.NotFoundException when the job does not exist
   */
  public void watch(JobId id, long afterSeq, Consumer<JobEventView> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    long last = afterSeq;
    int failures = 0;
    while (true) {
      Attempt attempt = stream(id, last, consumer);
      UnavailableException failure = attempt.dropped();
      if (attempt.last() > last) failures = 0; // progress: a fresh retry budget
      last = attempt.last();
      if (failure == null) {
        try {
          if (job(id).state().isTerminal()) return;
          // The stream ended cleanly before the job did (a proxy's timeout, say): reconnect.
          failure = new UnavailableException("WATCH_STREAM_ENDED", "the event stream of job " + id + " ended before the job finished");
        } catch (UnavailableException e) {
          failure = e;
        }
      }
      if (++failures > watchRetries) throw failure;
      try {
        Thread.sleep(Math.min(5_000L, 250L << Math.min(failures - 1, 10)));
      } catch (InterruptedException e) {
        throw Errors.fromTransport(e, base, timeout);
      }
    }
  }

  /** How one connection of a watch went: the last event delivered, and why it dropped if it did. */
  private record Attempt(long last, UnavailableException dropped) {}

  /** Reads one connection's events; a failure other than "unavailable" is thrown. */
  private Attempt stream(JobId id, long after, Consumer<JobEventView> consumer) {
    HttpRequest.Builder b = request("/jobs/" + id + "/events" + (after > 0 ? "?after=" + after : ""))
        .GET()
        .setHeader("Accept", "text/event-stream");
    if (after > 0) b.header("Last-Event-ID", Long.toString(after));
    long[] last = {after};
    try {
      HttpResponse<Stream<String>> res = http.send(b.build(), BodyHandlers.ofLines());
      try (Stream<String> lines = res.body()) {
        if (res.statusCode() != 200) {
          String body = lines.collect(Collectors.joining("\n"));
          throw Errors.fromResponse(res.statusCode(), body.getBytes(StandardCharsets.UTF_8), "GET", res.uri());
        }
        var parser = new SseParser(event -> {
          JobEventView view = view(event);
          if (view.seq() > 0 && view.seq() <= last[0]) return; // never deliver twice
          consumer.accept(view);
          last[0] = Math.max(last[0], view.seq());
        });
        lines.forEach(parser::line);
      }
      return new Attempt(last[0], null);
    } catch (IOException | InterruptedException | UncheckedIOException e) {
      FedGridException f = Errors.fromTransport(e, base, timeout);
      if (f instanceof UnavailableException u && !u.code().equals("INTERRUPTED")) return new Attempt(last[0], u);
      throw f;
    } catch (UnavailableException e) {
      return new Attempt(last[0], e);
    }
  }

  private static JobEventView view(SseParser.Event event) {
    long seq;
    try {
      seq = Long.parseLong(event.id());
    } catch (NumberFormatException | NullPointerException e) {
      seq = 0;
    }
    try {
      JsonNode data = ClientJson.MAPPER.readTree(event.data());
      if (data.isObject()) {
        return new JobEventView(
            data.path("seq").asLong(seq),
            data.path("type").asText(event.type()),
            data.path("message").asText(""),
            data.hasNonNull("at") ? Instant.parse(data.get("at").asText()) : null);
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: the data is the message
    }
    return new JobEventView(seq, event.type(), event.data(), null);
  }

  // ---- service ----

  /** The gateway's health. */
  public record Health(String status, String version) {}

  /** Whether the gateway answers, and its version. */
  public Health health() {
    return send(request("/health").GET(), type(Health.class));
  }

  /** Releases the client's connections; calls after this fail. */
  @Override
  public void close() {
    http.close();
  }

  // ---- plumbing ----

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + API + path))
        .timeout(timeout)
        .header("Accept", JSON)
        .header("User-Agent", "fedgrid-client");
  }

  private <T> T send(HttpRequest.Builder request, JavaType type) {
    return join(sendAsync(request, type));
  }

  private <T> List<T> items(HttpRequest.Builder request, Class<T> item) {
    JavaType list = ClientJson.MAPPER.getTypeFactory().constructCollectionType(List.class, item);
    JavaType wrapper = ClientJson.MAPPER.getTypeFactory().constructMapType(Map.class, ClientJson.MAPPER.constructType(String.class), list);
    Map<String, List<T>> body = send(request, wrapper);
    List<T> items = body.get("items");
    return items == null ? List.of() : items;
  }

  private static JavaType type(Class<?> c) {
    return ClientJson.MAPPER.constructType(c);
  }

  /** Sends and decodes a 2xx body as {@code type} ({@code null}: no body expected). */
  private <T> CompletableFuture<T> sendAsync(HttpRequest.Builder builder, JavaType type) {
    HttpRequest request = builder.build();
    CompletableFuture<HttpResponse<byte[]>> sent;
    try {
      sent = http.sendAsync(request, BodyHandlers.ofByteArray());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(Errors.fromTransport(e, base, timeout));
    }
    return sent.handle((res, error) -> {
      if (error != null) throw Errors.fromTransport(error, base, timeout);
      if (res.statusCode() / 100 != 2) throw Errors.fromResponse(res.statusCode(), res.body(), request.method(), request.uri());
      if (type == null) return null;
      try {
        return ClientJson.MAPPER.readValue(res.body(), type);
      } catch (IOException e) {
        String reason = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        throw new InternalException(
            "UNEXPECTED_RESPONSE",
            request.method() + " " + request.uri() + " answered something this client cannot read: " + reason
                + "; is the gateway a compatible FedGrid version?",
            Map.of(),
            e);
      }
    });
  }

  private <T> T join(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      throw Errors.fromTransport(e, base, timeout);
    } catch (ExecutionException e) {
      throw Errors.fromTransport(e, base, timeout);
    }
  }

  private static byte[] toJson(Object value) {
    try {
      return ClientJson.MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /**
   * Configures a {@link FedGridClient}. Every option has a default; {@link #build()} checks them.
   *
   * <p>Not thread-safe; the client it builds is.
   */
  public static final class Builder {
    private URI baseUri = DEFAULT_BASE_URI;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int watchRetries = DEFAULT_WATCH_RETRIES;

    private Builder() {}

    /** The gateway's control API, such as {@code http://127.0.0.1:7600} (the default). */
    public Builder baseUri(URI baseUri) {
      this.baseUri = Objects.requireNonNull(baseUri, "baseUri");
      return this;
    }

    /** As {@link #baseUri(URI)}, parsed from a string. */
    public Builder baseUri(String baseUri) {
      try {
        return baseUri(URI.create(Objects.requireNonNull(baseUri, "baseUri").strip()));
      } catch (IllegalArgumentException e) {
        throw new InvalidRequestException("INVALID_GATEWAY_URL", "'" + baseUri + "' is not a URL; use for example http://127.0.0.1:7600");
      }
    }

    /**
     * How long to wait for an answer's headers (default 30 s). Downloads and event streams may run
     * longer once their answer started.
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** How many reconnections in a row {@link FedGridClient#watch} tries before giving up (default 5). */
    public Builder watchRetries(int watchRetries) {
      this.watchRetries = watchRetries;
      return this;
    }

    /**
     * @throws InvalidRequestException naming the option when one is out of range
     */
    public FedGridClient build() {
      String scheme = baseUri.getScheme();
      if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || baseUri.getHost() == null) {
        throw new InvalidRequestException(
            "INVALID_GATEWAY_URL", "the gateway URL '" + baseUri + "' must be http:// or https:// with a host, for example http://127.0.0.1:7600");
      }
      if (baseUri.getQuery() != null || baseUri.getFragment() != null) {
        throw new InvalidRequestException("INVALID_GATEWAY_URL", "the gateway URL '" + baseUri + "' must not have a query or fragment");
      }
      String s = baseUri.toString();
      while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
      baseUri = URI.create(s);
      if (timeout.isNegative() || timeout.isZero()) {
        throw new InvalidRequestException("INVALID_TIMEOUT", "the client timeout must be positive, got " + timeout);
      }
      if (watchRetries < 0 || watchRetries > 1000) {
        throw new InvalidRequestException("INVALID_WATCH_RETRIES", "watchRetries must be in [0, 1000], got " + watchRetries);
      }
      return new FedGridClient(this);
    }
  }
}
