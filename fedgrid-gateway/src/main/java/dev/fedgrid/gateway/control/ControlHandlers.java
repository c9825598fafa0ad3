package dev.fedgrid.gateway.control;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.dataset.DatasetQuery;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.ContributionReport;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.core.io.Safetensors;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.json.Json;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The control API's endpoints: each method reads one request, calls {@link GatewayControl} and
 * writes the JSON answer. Failures are thrown and turned into error bodies by {@link
 * ControlServer}.
 *
 * <p>Thread-safe: the only state is the (thread-safe) port and immutable settings.
 */
final class ControlHandlers {
  static final String BASE = "/api/v1";
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 500;

  private final GatewayControl control;
  private final EventStream events;
  private final byte[] openApi;
  private final String version;

  ControlHandlers(GatewayControl control, Duration heartbeat) {
    this.control = control;
    this.events = new EventStream(control, heartbeat);
    this.openApi = loadOpenApi();
    this.version = version();
  }

  // ---- jobs ----

  void submitJob(ServerRequest req, ServerResponse res) {
    JobSpec spec = JsonBodies.read(req, JobSpec.class);
    Job job = control.submitJob(principal(req), spec);
    res.status(Status.CREATED_201);
    res.header(HeaderNames.LOCATION, BASE + "/jobs/" + job.id());
    json(res, job);
  }

  void listJobs(ServerRequest req, ServerResponse res) {
    List<JobState> states = states(req.query().all("state", List::of));
    int limit = limit(req.query().first("limit").asOptional());
    Optional<JobId> after = req.query().first("cursor").asOptional().filter(c -> !c.isBlank()).map(ControlHandlers::decodeCursor);
    List<Job> page = control.jobs(principal(req), states, after, limit + 1); // one more tells whether a next page exists
    var body = new LinkedHashMap<String, Object>();
    if (page.size() > limit) {
      page = page.subList(0, limit);
      body.put("items", page);
      body.put("nextCursor", encodeCursor(page.getLast().id()));
    } else {
      body.put("items", page);
    }
    json(res, body);
  }

  void job(ServerRequest req, ServerResponse res) {
    json(res, control.job(principal(req), jobId(req)));
  }

  void cancelJob(ServerRequest req, ServerResponse res) {
    json(res, control.cancelJob(principal(req), jobId(req)));
  }

  void deleteJob(ServerRequest req, ServerResponse res) {
    control.deleteJob(principal(req), jobId(req));
    res.status(Status.NO_CONTENT_204);
    res.send();
  }

  void rounds(ServerRequest req, ServerResponse res) {
    json(res, Map.of("items", control.rounds(principal(req), jobId(req))));
  }

  /** Each node's examples × epochs over the job's completed rounds and its share; who may see the job may see it. */
  void contributions(ServerRequest req, ServerResponse res) {
    JobId id = jobId(req);
    json(res, ContributionReport.of(id, control.rounds(principal(req), id)));
  }

  void events(ServerRequest req, ServerResponse res) throws InterruptedException {
    JobId id = jobId(req);
    Optional<String> lastEventId = req.headers().first(HeaderNames.create("Last-Event-ID"));
    long after = lastEventId.isPresent()
        ? sequence("Last-Event-ID header", lastEventId.get())
        : req.query().first("after").asOptional().map(a -> sequence("after", a)).orElse(0L);
    events.serve(principal(req), id, after, res);
  }

  /** The latest global model as a safetensors file, with everything needed to use it as metadata. */
  void model(ServerRequest req, ServerResponse res) {
    ModelArtifact model = control.model(principal(req), jobId(req));
    var metadata = new LinkedHashMap<String, String>();
    metadata.put("format", "pt");
    metadata.put("jobId", model.job().value());
    metadata.put("round", Integer.toString(model.round()));
    metadata.put("spec", toJson(model.spec()));
    metadata.put("inputShape", toJson(model.inputShape()));
    if (model.scaling() != null) metadata.put("scaling", toJson(model.scaling()));
    byte[] file = Safetensors.write(model.parameters(), metadata);
    res.headers().contentType(MediaTypes.APPLICATION_OCTET_STREAM);
    res.header(
        HeaderNames.CONTENT_DISPOSITION,
        "attachment; filename=\"" + model.job() + "-round" + model.round() + ".safetensors\"");
    res.send(file);
  }

  void modelSpec(ServerRequest req, ServerResponse res) {
    ModelArtifact model = control.inspectModel(principal(req), jobId(req));
    json(
        res,
        new ModelDescription(
            model.job(), model.round(), model.spec(), model.inputShape(), model.scaling(), model.parameters().layout()));
  }

  /** The body of {@code GET /jobs/{id}/model/spec}. */
  record ModelDescription(
      JobId jobId, int round, ModelSpec spec, List<Integer> inputShape, FeatureScaling scaling, ParameterLayout layout) {}

  // ---- nodes and datasets ----

  void nodes(ServerRequest req, ServerResponse res) {
    json(res, Map.of("items", control.nodes(principal(req))));
  }

  void node(ServerRequest req, ServerResponse res) {
    json(res, control.node(principal(req), NodeId.of(pathId(req))));
  }

  void datasets(ServerRequest req, ServerResponse res) {
    var query = new DatasetQuery(
        req.query().first("q").orElse(null),
        req.query().first("name").orElse(null),
        req.query().first("tag").orElse(null),
        req.query().first("column").orElse(null),
        visibility(req.query().first("visibility").orElse(null)));
    json(res, Map.of("items", control.datasets(principal(req), query)));
  }

  private static Visibility visibility(String value) {
    if (value == null || value.isBlank()) return null;
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "public" -> Visibility.PUBLIC;
      case "private" -> Visibility.PRIVATE;
      default -> throw new InvalidRequestException(
          "INVALID_QUERY", "visibility must be public or private, got '" + shorten(value) + "'", Map.of("parameter", "visibility"));
    };
  }

  void dataset(ServerRequest req, ServerResponse res) {
    json(res, control.dataset(principal(req), DatasetId.of(pathId(req))));
  }

  // ---- service ----

  void health(ServerRequest req, ServerResponse res) {
    var body = new LinkedHashMap<String, Object>();
    body.put("status", "ok");
    body.put("version", version);
    json(res, body);
  }

  void openApi(ServerRequest req, ServerResponse res) {
    res.headers().contentType(MediaTypes.APPLICATION_JSON);
    res.send(openApi);
  }

  // ---- helpers ----

  /**
   * The authenticated caller of this request, registered in the request's context by {@link
   * ControlServer} before any route that is not {@link Access#PUBLIC} runs.
   *
   * @throws UnauthenticatedException when the route was reached without authentication
   */
  static Principal principal(ServerRequest req) {
    return req.context()
        .get(Principal.class)
        .orElseThrow(() -> new UnauthenticatedException("UNAUTHENTICATED", "this call needs a token; log in first"));
  }

  static void json(ServerResponse res, Object body) {
    res.headers().contentType(MediaTypes.APPLICATION_JSON);
    try {
      res.send(Json.mapper().writeValueAsBytes(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String toJson(Object value) {
    try {
      return Json.mapper().writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String pathId(ServerRequest req) {
    return req.path().pathParameters().get("id");
  }

  private static JobId jobId(ServerRequest req) {
    return JobId.of(pathId(req));
  }

  /** The cursor is opaque to clients: base64url of the last job id of the page. */
  static String encodeCursor(JobId last) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(last.value().getBytes(StandardCharsets.UTF_8));
  }

  static JobId decodeCursor(String cursor) {
    try {
      return JobId.of(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | InvalidRequestException e) {
      throw new InvalidRequestException(
          "INVALID_CURSOR",
          "cursor '" + shorten(cursor) + "' was not issued by this API; pass the nextCursor of a previous page, or leave it out to start from the newest job",
          Map.of("parameter", "cursor"));
    }
  }

  private static List<JobState> states(List<String> values) {
    var states = new ArrayList<JobState>();
    for (String value : values) {
      for (String part : value.split(",")) {
        String name = part.strip().toLowerCase(Locale.ROOT);
        if (name.isEmpty()) continue;
        JobState state = null;
        for (JobState s : JobState.values()) {
          if (s.wireName().equals(name)) state = s;
        }
        if (state == null) {
          throw new InvalidRequestException(
              "INVALID_QUERY",
              "state '" + shorten(part) + "' is not a job state; use one or more of queued, running, completed, failed, cancelled, separated by commas",
              Map.of("parameter", "state"));
        }
        if (!states.contains(state)) states.add(state);
      }
    }
    return states;
  }

  static int limit(Optional<String> value) {
    if (value.isEmpty() || value.get().isBlank()) return DEFAULT_LIMIT;
    try {
      int limit = Integer.parseInt(value.get().strip());
      if (limit >= 1 && limit <= MAX_LIMIT) return limit;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidRequestException(
        "INVALID_QUERY",
        "limit must be an integer in [1, " + MAX_LIMIT + "], got '" + shorten(value.get()) + "'",
        Map.of("parameter", "limit"));
  }

  private static long sequence(String what, String value) {
    try {
      long seq = Long.parseLong(value.strip());
      if (seq >= 0) return seq;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidRequestException(
        "INVALID_QUERY",
        what + " must be the non-negative sequence number of the last event seen, got '" + shorten(value) + "'",
        Map.of("parameter", what.startsWith("after") ? "after" : "Last-Event-ID"));
  }

  private static String shorten(String s) {
    return s.length() > 64 ? s.substring(0, 64) + "…" : s;
  }

  private static byte[] loadOpenApi() {
    try (InputStream in = ControlHandlers.class.getResourceAsStream("/openapi.json")) {
      if (in == null) throw new IllegalStateException("openapi.json is missing from the gateway's resources");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("could not read openapi.json", e);
    }
  }

  /** The gateway's version: from the jar manifest, or from Maven's pom.properties, or "dev". */
  static String version() {
    String v = ControlHandlers.class.getPackage().getImplementationVersion();
    if (v != null) return v;
    try (InputStream in = ControlHandlers.class.getResourceAsStream("/META-INF/maven/dev.fedgrid/fedgrid-gateway/pom.properties")) {
      if (in != null) {
        var props = new Properties();
        props.load(in);
        return props.getProperty("version", "dev");
      }
    } catch (IOException e) {
      // fall through
    }
    return "dev";
  }
}
