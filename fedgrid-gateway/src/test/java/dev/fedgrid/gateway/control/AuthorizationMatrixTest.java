package dev.fedgrid.gateway.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.gateway.access.DatasetAccess;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.access.TestIdentity;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.gateway.state.SqlStateStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every route of the control API, called with no token, a bad token and a token of each seeded
 * role, against a real coordinator and a real identity service on SQLite: the answer must be the
 * one in {@link #EXPECTED}. A route without a row fails the test, so a new route cannot ship
 * without deciding who may call it.
 *
 * <p>Each cell gets fresh fixtures where the call changes something (a new job to cancel, a new
 * role to delete), so cells do not depend on each other's order. The job fixtures belong to the
 * data scientist.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthorizationMatrixTest {
  /** The seeded roles, in the order of the letters in {@link #EXPECTED}. */
  private static final List<String> ROLES = List.of("owner", "administrator", "compliance-officer", "data-scientist", "data-owner");

  /**
   * One letter per role, in the order of {@link #ROLES}: {@code A} allowed (neither 401, 403 nor
   * 404), {@code D} denied (403), {@code H} hidden (404: the object exists but is not the
   * caller's, answered as if it did not). Callers without a valid token get 401 on every route but
   * the public ones, which allow everybody.
   */
  private static final Map<String, String> EXPECTED = new LinkedHashMap<>();

  static {
    row("POST /api/v1/login", "AAAAA");
    row("GET /api/v1/me", "AAAAA");
    row("GET /api/v1/users", "AADDD");
    row("POST /api/v1/users", "AADDD");
    row("GET /api/v1/users/{name}", "AADDD");
    row("PATCH /api/v1/users/{name}", "AADDD");
    row("GET /api/v1/roles", "AAAAA");
    row("POST /api/v1/roles", "AADDD");
    row("PUT /api/v1/roles/{name}", "AADDD");
    row("DELETE /api/v1/roles/{name}", "AADDD");
    row("GET /api/v1/tokens", "AAAAA");
    row("POST /api/v1/tokens", "AAAAA");
    row("DELETE /api/v1/tokens/{id}", "AAAAA");
    row("POST /api/v1/jobs", "ADDAD");
    row("GET /api/v1/jobs", "AAAAA");
    row("GET /api/v1/jobs/{id}", "AHAAH");
    row("DELETE /api/v1/jobs/{id}", "AHDAH");
    row("POST /api/v1/jobs/{id}/cancel", "AHDAH");
    row("GET /api/v1/jobs/{id}/rounds", "AHAAH");
    row("GET /api/v1/jobs/{id}/events", "AHAAH");
    row("GET /api/v1/jobs/{id}/model", "DHDAH");
    row("GET /api/v1/jobs/{id}/model/spec", "AHAAH");
    row("GET /api/v1/nodes", "AADDA");
    row("GET /api/v1/nodes/{id}", "AADDA");
    row("GET /api/v1/datasets", "AAAAA");
    row("GET /api/v1/datasets/{id}", "AAAAA");
    row("PATCH /api/v1/datasets/{id}", "AADDA");
    row("GET /api/v1/datasets/{id}/grants", "AAAAA");
    row("PUT /api/v1/datasets/{id}/grants/{user}", "AADDA");
    row("DELETE /api/v1/datasets/{id}/grants/{user}", "AAADA");
    row("GET /api/v1/audit/events", "AAADD");
    row("GET /api/v1/audit/events/stream", "AAADD");
    row("POST /api/v1/audit/verify", "AAADD");
    row("GET /api/v1/health", "AAAAA");
    row("GET /api/v1/openapi.json", "AAAAA");
  }

  private static void row(String route, String letters) {
    if (letters.length() != ROLES.size()) throw new IllegalArgumentException(route + ": one letter per role");
    EXPECTED.put(route, letters);
  }

  @TempDir Path dir;
  private SqlDatabase db;
  private SqlStateStore store;
  private TestIdentity identity;
  private Coordinator coordinator;
  private ControlServer server;
  private HttpClient http;
  private final Map<String, String> tokens = new LinkedHashMap<>();
  private final Map<String, Principal> principals = new LinkedHashMap<>();
  private NodeId node;
  private DatasetId dataset;
  private DatasetAccess datasets;
  private final AtomicInteger serial = new AtomicInteger();

  @BeforeEach
  void start() {
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    store = new SqlStateStore(db);
    identity = TestIdentity.on(db, Clock.systemUTC());
    coordinator = new Coordinator(store, identity.audit, Clock.systemUTC(),
        new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50)));
    Instant now = Instant.now();
    node = NodeId.random();
    store.putNode(new NodeRecord(node, "hospital-a", 2, 1024, "test", new byte[32], now, now));
    var columns = List.of(new ColumnStats("x0", 100, 1.0, 2.0), new ColumnStats("x1", 100, -1.0, 0.5));
    dataset = store.putDataset(node, new DatasetMetadata("cancer", DatasetFormat.CSV, List.of(2), columns,
        LabelInfo.categorical("benign", List.of(50L, 50L)), 100, 10, List.of("health"), Visibility.PUBLIC), now).id();
    coordinator.start();
    datasets = new DatasetAccess(db, store, identity.audit, Clock.systemUTC());
    server = ControlServer.builder(coordinator, identity.identity)
        .audit(identity.audit)
        .datasets(datasets)
        .heartbeat(Duration.ofMillis(100))
        .start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    tokens.put("owner", identity.owner.token());
    for (String role : ROLES.subList(1, ROLES.size())) tokens.put(role, identity.tokenFor(role.replace("-", "") + "1", role));
    tokens.forEach((role, token) -> principals.put(role, identity.identity.authenticate(token)));
    identity.identity.createUser(principals.get("owner"), "target", "data-scientist", Optional.of("correct horse battery staple"));
  }

  @AfterEach
  void stop() {
    if (http != null) http.close();
    if (server != null) server.close();
    if (coordinator != null) coordinator.close();
    if (db != null) db.close();
  }

  @Test
  void everyRouteAnswersEveryRoleAsTheTableSays() throws Exception {
    assertThat(identity.identity.roles().stream().filter(r -> r.builtin()).map(r -> r.name()).toList()).containsExactlyElementsOf(ROLES);
    var missing = new ArrayList<String>();
    var wrong = new ArrayList<String>();
    for (Route route : server.routes()) {
      String key = route.method().text() + " " + route.path();
      String letters = EXPECTED.get(key);
      if (letters == null) {
        missing.add(key);
        continue;
      }
      boolean isPublic = !route.access().authenticated();
      check(wrong, key, "no token", call(route, null, null), isPublic ? 'A' : 'U');
      check(wrong, key, "bad token", call(route, null, "fgt_" + "x".repeat(43)), isPublic ? 'A' : 'U');
      for (int i = 0; i < ROLES.size(); i++) {
        String role = ROLES.get(i);
        check(wrong, key, role, call(route, role, tokens.get(role)), letters.charAt(i));
      }
    }
    assertThat(missing).as("routes without a row in AuthorizationMatrixTest.EXPECTED").isEmpty();
    assertThat(wrong).as("cells that differ from the table").isEmpty();
    assertThat(EXPECTED.keySet()).as("rows for routes that do not exist")
        .containsExactlyInAnyOrderElementsOf(server.routes().stream().map(r -> r.method().text() + " " + r.path()).toList());
  }

  private static void check(List<String> wrong, String route, String who, Answer res, char expected) {
    int status = res.statusCode();
    char actual = switch (status) {
      case 401 -> 'U';
      case 403 -> 'D';
      case 404 -> 'H';
      default -> 'A';
    };
    if (status >= 500) actual = '!';
    if (actual != expected) {
      String body = res.body() == null ? "" : res.body();
      wrong.add(route + " as " + who + ": expected " + expected + ", got " + status + " " + (body.length() > 200 ? body.substring(0, 200) : body));
    }
  }

  // ---- fixtures: a request for each route, with objects that exist ----

  /** The request for {@code route} as {@code role} (null: no valid token). */
  private Answer call(Route route, String role, String token) throws Exception {
    String caller = role == null ? "owner" : role;
    int n = serial.incrementAndGet();
    String path = route.path();
    String body = null;
    switch (route.method().text() + " " + route.path()) {
      case "POST /api/v1/login" -> body = "{\"user\": \"target\", \"password\": \"correct horse battery staple\"}";
      case "POST /api/v1/users" -> body = "{\"name\": \"new" + n + "\", \"role\": \"data-owner\"}";
      case "GET /api/v1/users/{name}" -> path = path.replace("{name}", "target");
      case "PATCH /api/v1/users/{name}" -> {
        String name = "patch" + n;
        identity.identity.createUser(principals.get("owner"), name, "data-owner", Optional.empty());
        path = path.replace("{name}", name);
        body = "{\"disabled\": true}";
      }
      case "POST /api/v1/roles" -> body = "{\"name\": \"role" + n + "\", \"description\": \"\", \"permissions\": []}";
      case "PUT /api/v1/roles/{name}", "DELETE /api/v1/roles/{name}" -> {
        String name = "role" + n;
        identity.identity.createRole(principals.get("owner"), name, "", List.of());
        path = path.replace("{name}", name);
        if (route.method().text().equals("PUT")) body = "{\"description\": \"changed\", \"permissions\": []}";
      }
      case "POST /api/v1/tokens" -> body = "{\"name\": \"t" + n + "\", \"expiresInDays\": 1}";
      case "DELETE /api/v1/tokens/{id}" -> path = path.replace("{id}", identity.identity.createToken(principals.get(caller), "t" + n, 1).info().id().value());
      case "POST /api/v1/jobs" -> body = SPEC;
      case "GET /api/v1/jobs/{id}", "GET /api/v1/jobs/{id}/rounds", "GET /api/v1/jobs/{id}/model", "GET /api/v1/jobs/{id}/model/spec",
           "POST /api/v1/jobs/{id}/cancel" -> path = path.replace("{id}", scientistsJob().id().value());
      case "DELETE /api/v1/jobs/{id}", "GET /api/v1/jobs/{id}/events" -> {
        Job job = scientistsJob();
        coordinator.cancelJob(principals.get("data-scientist"), job.id()); // finished: deletable, and its stream ends
        path = path.replace("{id}", job.id().value());
      }
      case "GET /api/v1/nodes/{id}" -> path = path.replace("{id}", node.value());
      case "GET /api/v1/datasets/{id}", "GET /api/v1/datasets/{id}/grants" -> path = path.replace("{id}", dataset.value());
      case "PATCH /api/v1/datasets/{id}" -> {
        path = path.replace("{id}", dataset.value());
        body = "{\"visibility\": \"public\"}";
      }
      case "PUT /api/v1/datasets/{id}/grants/{user}" -> {
        String name = "grantee" + n;
        identity.identity.createUser(principals.get("owner"), name, "data-scientist", Optional.empty());
        path = path.replace("{id}", dataset.value()).replace("{user}", name);
        body = "{\"process\": true}";
      }
      case "DELETE /api/v1/datasets/{id}/grants/{user}" -> {
        String name = "grantee" + n;
        identity.identity.createUser(principals.get("owner"), name, "data-scientist", Optional.empty());
        datasets.grant(principals.get("owner"), dataset, name, true, false);
        path = path.replace("{id}", dataset.value()).replace("{user}", name);
      }
      case "GET /api/v1/audit/events/stream" -> path = path + "?until=2000-01-01T00:00:00Z"; // ends at once
      default -> {
        if (path.contains("{")) throw new AssertionError("no fixture for " + route.method().text() + " " + route.path() + "; add one to AuthorizationMatrixTest.call");
      }
    }
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .method(route.method().text(), body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (token != null) b.header("Authorization", "Bearer " + token);
    // a stream (events) answers 200 at once and may stay open: read bodies of failures only
    HttpResponse<InputStream> res = http.send(b.build(), BodyHandlers.ofInputStream());
    try (InputStream in = res.body()) {
      return new Answer(res.statusCode(), res.statusCode() >= 400 ? new String(in.readAllBytes(), StandardCharsets.UTF_8) : "");
    }
  }

  /** A status and, for failures, the body. */
  private record Answer(int statusCode, String body) {
  }

  private static final String SPEC = """
      {"name": "matrix", "datasets": ["cancer"], "model": {"layers": [{"type": "dense", "units": 1}], "loss": "binary_cross_entropy"},
       "rounds": 1, "minNodes": 2}
      """;

  /** A fresh queued job submitted by the data scientist (it waits for a second node forever). */
  private Job scientistsJob() throws Exception {
    JobSpec spec = Json.mapper().readValue(SPEC, JobSpec.class);
    return coordinator.submitJob(principals.get("data-scientist"), spec);
  }
}
