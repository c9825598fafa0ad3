package dev.fedgrid.gateway.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.gateway.access.DatasetAccess;
import dev.fedgrid.gateway.access.IdentityService;
import dev.fedgrid.gateway.access.Passwords;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.gateway.state.SqlStateStore;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dataset visibility, grants, search and the audit endpoints over real HTTP: the control server on
 * loopback with the real coordinator (not started, so nothing trains), identity service, dataset
 * access and audit ledger on SQLite.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DatasetGovernanceTest {
  private static final CoordinatorOptions OPTIONS =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));
  private static final String PASSWORD = "correct horse battery staple";

  @TempDir Path dir;
  private SqlDatabase db;
  private SqlStateStore store;
  private AuditLog audit;
  private IdentityService identity;
  private DatasetAccess access;
  private Coordinator coordinator;
  private ControlServer server;
  private HttpClient http;
  private NodeId node;
  private DatasetInfo heart;
  private DatasetInfo iris;
  private String owner;
  private String ana; // data scientist
  private String dora; // data owner
  private String cleo; // compliance officer
  private String adam; // administrator

  @BeforeEach
  void start() {
    Clock clock = Clock.systemUTC();
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    store = new SqlStateStore(db);
    audit = new AuditLog(db, clock);
    identity = new IdentityService(db, audit, clock, new Passwords(64, 1, 1));
    owner = identity.bootstrap().orElseThrow().token();
    Principal boss = identity.authenticate(owner);
    for (String[] u : new String[][] {{"ana", "data-scientist"}, {"dora", "data-owner"}, {"cleo", "compliance-officer"}, {"adam", "administrator"}}) {
      identity.createUser(boss, u[0], u[1], Optional.of(PASSWORD));
    }
    ana = identity.login("ana", PASSWORD, "127.0.0.1").token();
    dora = identity.login("dora", PASSWORD, "127.0.0.1").token();
    cleo = identity.login("cleo", PASSWORD, "127.0.0.1").token();
    adam = identity.login("adam", PASSWORD, "127.0.0.1").token();

    Instant now = clock.instant();
    node = NodeId.random();
    store.putNode(new NodeRecord(node, "hospital-a", 4, 1024, "test", new byte[32], now, now));
    heart = store.putDataset(node, tabular("heart", Visibility.PRIVATE, List.of("cardiology", "tabular"), "age", "chol", "bp"), now);
    iris = store.putDataset(node, tabular("iris", Visibility.PUBLIC, List.of("botany", "tabular"), "sepal_length", "petal_length", "petal_width"), now);

    access = new DatasetAccess(db, store, audit, clock);
    coordinator = new Coordinator(store, audit, clock, OPTIONS, List.of(access));
    server = ControlServer.builder(coordinator, identity).audit(audit).datasets(access).heartbeat(Duration.ofMillis(200)).start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() {
    http.close();
    server.close();
    coordinator.close();
    db.close();
  }

  // ---- search ----

  @Test
  void theCatalogueIsSearchedByTextNameTagColumnAndVisibility() throws Exception {
    assertThat(names("")).containsExactlyInAnyOrder("heart", "iris"); // registered in the same instant: either order
    assertThat(names("?q=PETAL")).containsExactly("iris");
    assertThat(names("?q=cardio")).containsExactly("heart");
    assertThat(names("?q=y")).containsExactlyInAnyOrder("heart", "iris"); // the label column
    assertThat(names("?name=ear")).containsExactly("heart");
    assertThat(names("?name=heart")).containsExactly("heart");
    assertThat(names("?tag=tabular")).containsExactlyInAnyOrder("heart", "iris");
    assertThat(names("?tag=botany")).containsExactly("iris");
    assertThat(names("?tag=bot")).isEmpty(); // tags match exactly
    assertThat(names("?column=Chol")).containsExactly("heart");
    assertThat(names("?column=cho")).isEmpty(); // columns match whole names
    assertThat(names("?visibility=public")).containsExactly("iris");
    assertThat(names("?visibility=private&tag=tabular")).containsExactly("heart");
    assertThat(names("?q=age&tag=botany")).isEmpty();
    assertThat(code(send(ana, "GET", "/api/v1/datasets?visibility=secret", null))).isEqualTo("INVALID_QUERY");
    JsonNode entry = json(send(ana, "GET", "/api/v1/datasets?name=heart", null)).get("items").get(0);
    assertThat(entry.at("/metadata/features/0/name").asText()).isEqualTo("age");
    assertThat(entry.toString()).doesNotContain("rows\":[").doesNotContain("\"values\"");
  }

  private List<String> names(String query) throws Exception {
    HttpResponse<String> res = send(ana, "GET", "/api/v1/datasets" + query, null);
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    var names = new ArrayList<String>();
    json(res).get("items").forEach(d -> names.add(d.at("/metadata/name").asText()));
    return names;
  }

  // ---- visibility ----

  @Test
  void complianceMakesDataPublicWhichOutlivesTheNodeRegisteringAgainAndIsAudited() throws Exception {
    assertThat(code(send(ana, "PATCH", "/api/v1/datasets/" + heart.id(), "{\"visibility\": \"public\"}"))).isEqualTo("PERMISSION_DENIED");
    // the results of every later job on public data leave without a request: a release decision
    assertThat(code(send(dora, "PATCH", "/api/v1/datasets/" + heart.id(), "{\"visibility\": \"public\"}"))).isEqualTo("PERMISSION_DENIED");
    assertThat(code(send(adam, "PATCH", "/api/v1/datasets/" + heart.id(), "{\"visibility\": \"public\"}"))).isEqualTo("PERMISSION_DENIED");
    assertThat(code(send(cleo, "PATCH", "/api/v1/datasets/" + heart.id(), "{}"))).isEqualTo("INVALID_DATASET_PATCH");
    assertThat(send(cleo, "PATCH", "/api/v1/datasets/" + heart.id(), "{\"visibility\": \"secret\"}").statusCode()).isEqualTo(400);
    assertThat(code(send(cleo, "PATCH", "/api/v1/datasets/" + dev.fedgrid.api.DatasetId.random(), "{\"visibility\": \"public\"}"))).isEqualTo("DATASET_NOT_FOUND");
    assertThat(visibilityEvents()).isEmpty();

    HttpResponse<String> res = send(cleo, "PATCH", "/api/v1/datasets/" + heart.id(), "{\"visibility\": \"public\"}");
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    assertThat(json(res).at("/metadata/visibility").asText()).isEqualTo("public");
    assertThat(json(send(ana, "GET", "/api/v1/datasets/" + heart.id(), null)).at("/metadata/visibility").asText()).isEqualTo("public");
    // the node registers again, still declaring private: the gateway's choice stands
    DatasetInfo again = store.putDataset(node, heart.metadata(), Instant.now());
    assertThat(again.metadata().visibility()).isEqualTo(Visibility.PUBLIC);
    assertThat(store.dataset(heart.id()).orElseThrow().metadata().visibility()).isEqualTo(Visibility.PUBLIC);
    // setting it again changes nothing and records nothing
    assertThat(send(cleo, "PATCH", "/api/v1/datasets/" + heart.id(), "{\"visibility\": \"public\"}").statusCode()).isEqualTo(200);
    assertThat(visibilityEvents()).singleElement().satisfies(e -> {
      assertThat(e.actor()).isEqualTo("cleo");
      assertThat(e.target()).isEqualTo(heart.id().value());
      assertThat(e.details()).containsEntry("from", "private").containsEntry("to", "public");
    });
    // holding results back never lets data out: data owners and administrators may make it private
    assertThat(send(dora, "PATCH", "/api/v1/datasets/" + heart.id(), "{\"visibility\": \"private\"}").statusCode()).isEqualTo(200);
    assertThat(send(adam, "PATCH", "/api/v1/datasets/" + heart.id(), "{\"visibility\": \"private\"}").statusCode()).isEqualTo(200);
    assertThat(visibilityEvents()).hasSize(2);
  }

  private List<AuditEvent> visibilityEvents() {
    return audit.events(AuditQuery.all(1000)).stream().filter(e -> e.action().equals("dataset.visibility")).toList();
  }

  // ---- grants and admission ----

  @Test
  void aJobOnAPrivateDatasetNeedsAProcessGrant() throws Exception {
    HttpResponse<String> refused = send(ana, "POST", "/api/v1/jobs", job("heart"));
    assertThat(refused.statusCode()).isEqualTo(403);
    JsonNode error = json(refused);
    assertThat(error.get("code").asText()).isEqualTo("DATASET_ACCESS_DENIED");
    assertThat(error.get("message").asText()).contains("ana", heart.id().value(), "heart", "grant");
    assertThat(error.at("/details/datasets/0").asText()).isEqualTo(heart.id().value());
    assertThat(store.jobs(List.of(), Optional.empty(), 10)).isEmpty();
    assertThat(send(ana, "POST", "/api/v1/jobs", job("iris")).statusCode()).isEqualTo(201); // public

    HttpResponse<String> granted = send(dora, "PUT", grantPath(heart, "ana"), "{\"process\": true}");
    assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
    assertThat(json(granted).get("process").asBoolean()).isTrue();
    assertThat(json(granted).get("downloadResults").asBoolean()).isFalse();
    assertThat(json(granted).get("grantedBy").asText()).isEqualTo("dora");
    assertThat(send(ana, "POST", "/api/v1/jobs", job("heart")).statusCode()).isEqualTo(201);
    assertThat(send(ana, "POST", "/api/v1/jobs", job(heart.id().value())).statusCode()).isEqualTo(201);

    assertThat(send(dora, "DELETE", grantPath(heart, "ana"), null).statusCode()).isEqualTo(204);
    assertThat(code(send(ana, "POST", "/api/v1/jobs", job("heart")))).isEqualTo("DATASET_ACCESS_DENIED");
    assertThat(audit.events(AuditQuery.all(1000)).stream().map(AuditEvent::action).toList())
        .containsSubsequence("job.refused", "job.submitted", "grant.created", "job.submitted", "job.submitted", "grant.revoked", "job.refused");
  }

  @Test
  void grantsFollowWhoMayGrantWhat() throws Exception {
    // nobody without can_upload_data or can_triage_requests grants anything
    assertThat(code(send(ana, "PUT", grantPath(heart, "ana"), "{\"process\": true}"))).isEqualTo("PERMISSION_DENIED");
    // process needs can_upload_data; downloadResults needs can_triage_requests
    assertThat(code(send(cleo, "PUT", grantPath(heart, "ana"), "{\"process\": true}"))).isEqualTo("PERMISSION_DENIED");
    assertThat(code(send(dora, "PUT", grantPath(heart, "ana"), "{\"downloadResults\": true}"))).isEqualTo("PERMISSION_DENIED");
    assertThat(send(dora, "PUT", grantPath(heart, "ana"), "{\"process\": true}").statusCode()).isEqualTo(200);
    assertThat(access.mayDownloadResults(principal(ana), heart.id())).isFalse();
    // the officer adds downloadResults, keeping process (which needs no permission to keep)
    HttpResponse<String> both = send(cleo, "PUT", grantPath(heart, "ana"), "{\"process\": true, \"downloadResults\": true}");
    assertThat(both.statusCode()).as(both.body()).isEqualTo(200);
    assertThat(access.mayDownloadResults(principal(ana), heart.id())).isTrue();
    assertThat(access.mayDownloadResults(principal(ana), iris.id())).isTrue(); // public
    assertThat(access.mayDownloadResults(principal(dora), heart.id())).isFalse(); // data owners process, but results leave by grant or release
    // nobody grants to themselves, not even the owner
    assertThat(code(send(dora, "PUT", grantPath(heart, "dora"), "{\"process\": true}"))).isEqualTo("SELF_GRANT_DENIED");
    assertThat(code(send(owner, "PUT", grantPath(heart, "owner"), "{\"downloadResults\": true}"))).isEqualTo("SELF_GRANT_DENIED");
    // bad input
    assertThat(code(send(dora, "PUT", grantPath(heart, "nobody"), "{\"process\": true}"))).isEqualTo("USER_NOT_FOUND");
    assertThat(code(send(dora, "PUT", grantPath(heart, "ana"), "{}"))).isEqualTo("INVALID_GRANT");
    assertThat(code(send(dora, "PUT", "/api/v1/datasets/" + dev.fedgrid.api.DatasetId.random() + "/grants/ana", "{\"process\": true}"))).isEqualTo("DATASET_NOT_FOUND");
    assertThat(code(send(dora, "DELETE", grantPath(iris, "ana"), null))).isEqualTo("GRANT_NOT_FOUND");
    assertThat(code(send(dora, "DELETE", grantPath(heart, "nobody"), null))).isEqualTo("USER_NOT_FOUND");

    // listing: managers see every grant, others their own only
    assertThat(json(send(cleo, "GET", "/api/v1/datasets/" + heart.id() + "/grants", null)).get("items")).hasSize(1);
    assertThat(json(send(ana, "GET", "/api/v1/datasets/" + heart.id() + "/grants", null)).get("items")).hasSize(1);
    identity.createUser(identity.authenticate(owner), "bo", "data-scientist", Optional.of(PASSWORD));
    String bo = identity.login("bo", PASSWORD, "127.0.0.1").token();
    assertThat(json(send(bo, "GET", "/api/v1/datasets/" + heart.id() + "/grants", null)).get("items")).isEmpty();

    // a revocation by either manager takes every right
    assertThat(send(cleo, "DELETE", grantPath(heart, "ana"), null).statusCode()).isEqualTo(204);
    assertThat(access.mayProcess(principal(ana), heart)).isFalse();
    assertThat(json(send(cleo, "GET", "/api/v1/datasets/" + heart.id() + "/grants", null)).get("items")).isEmpty();

    List<AuditEvent> events = audit.events(AuditQuery.all(1000)).stream().filter(e -> e.action().startsWith("grant.")).toList();
    assertThat(events).extracting(AuditEvent::action).containsExactly("grant.created", "grant.created", "grant.revoked");
    assertThat(events.get(1).details())
        .containsEntry("user", "ana").containsEntry("process", "true").containsEntry("downloadResults", "true").containsEntry("previous", "process");
    assertThat(events.get(2).actor()).isEqualTo("cleo");
    assertThat(events.get(2).details()).containsEntry("previous", "process,downloadResults");
  }

  @Test
  void grantRoutesAreForTheRightRolesOnly() throws Exception {
    assertThat(send(null, "GET", "/api/v1/datasets/" + heart.id() + "/grants", null).statusCode()).isEqualTo(401);
    assertThat(send("fgt_bogus", "PUT", grantPath(heart, "ana"), "{\"process\": true}").statusCode()).isEqualTo(401);
    assertThat(send(ana, "DELETE", grantPath(heart, "ana"), null).statusCode()).isEqualTo(403);
    assertThat(send(ana, "PATCH", "/api/v1/datasets/" + heart.id(), "{\"visibility\": \"public\"}").statusCode()).isEqualTo(403);
  }

  // ---- audit ----

  @Test
  void theAuditLogIsListedFilteredAndPagedByComplianceAndAdministratorsOnly() throws Exception {
    for (int i = 0; i < 5; i++) send(cleo, "PATCH", "/api/v1/datasets/" + iris.id(), "{\"visibility\": \"" + (i % 2 == 0 ? "private" : "public") + "\"}");
    send(dora, "PUT", grantPath(heart, "ana"), "{\"process\": true}");

    assertThat(send(ana, "GET", "/api/v1/audit/events", null).statusCode()).isEqualTo(403);
    assertThat(send(dora, "GET", "/api/v1/audit/events", null).statusCode()).isEqualTo(403);
    assertThat(send(ana, "POST", "/api/v1/audit/verify", null).statusCode()).isEqualTo(403);
    assertThat(send(null, "GET", "/api/v1/audit/events", null).statusCode()).isEqualTo(401);
    assertThat(send(adam, "GET", "/api/v1/audit/events", null).statusCode()).isEqualTo(200);

    JsonNode visibility = json(send(cleo, "GET", "/api/v1/audit/events?action=dataset.visibility&actor=cleo", null));
    assertThat(visibility.get("items")).hasSize(5);
    assertThat(visibility.has("nextAfter")).isFalse();
    assertThat(json(send(cleo, "GET", "/api/v1/audit/events?action=grant.&target=" + heart.id(), null)).get("items")).hasSize(1);
    assertThat(json(send(cleo, "GET", "/api/v1/audit/events?actor=nobody", null)).get("items")).isEmpty();

    // paging through everything two at a time gives every event once, in order
    var seqs = new ArrayList<Long>();
    String after = "0";
    for (int page = 0; page < 100; page++) {
      JsonNode body = json(send(cleo, "GET", "/api/v1/audit/events?limit=2&after=" + after, null));
      body.get("items").forEach(e -> seqs.add(e.get("seq").asLong()));
      if (!body.has("nextAfter")) break;
      after = body.get("nextAfter").asText();
    }
    long total = audit.events(AuditQuery.all(1000)).size();
    assertThat(seqs).hasSize((int) total);
    for (int i = 0; i < seqs.size(); i++) assertThat(seqs.get(i)).isEqualTo(i + 1L);

    // time window
    AuditEvent third = audit.events(AuditQuery.all(3)).get(2);
    String since = URLEncoder.encode(third.at().toString(), StandardCharsets.UTF_8);
    assertThat(json(send(cleo, "GET", "/api/v1/audit/events?since=" + since, null)).get("items").get(0).get("seq").asLong()).isEqualTo(third.seq());
    assertThat(json(send(cleo, "GET", "/api/v1/audit/events?until=" + since, null)).get("items")).hasSize((int) third.seq() - 1);

    for (String bad : List.of("limit=0", "limit=1001", "limit=x", "after=-1", "since=yesterday", "until=2026-13-01")) {
      assertThat(code(send(cleo, "GET", "/api/v1/audit/events?" + bad, null))).as(bad).isEqualTo("INVALID_QUERY");
    }
  }

  @Test
  void verifyReportsAnIntactLedgerAndAnExpectedHead() throws Exception {
    send(dora, "PUT", grantPath(heart, "ana"), "{\"process\": true}");
    JsonNode v = json(send(cleo, "POST", "/api/v1/audit/verify", null));
    assertThat(v.get("intact").asBoolean()).isTrue();
    assertThat(v.get("verified").asLong()).isEqualTo(audit.events(AuditQuery.all(1000)).size());
    String head = v.get("headHash").asText();
    assertThat(json(send(adam, "POST", "/api/v1/audit/verify?expectedHead=" + head, null)).get("intact").asBoolean()).isTrue();
    JsonNode missing = json(send(cleo, "POST", "/api/v1/audit/verify?expectedHead=" + "1".repeat(64), null));
    assertThat(missing.get("intact").asBoolean()).isFalse();
    assertThat(missing.get("problem").asText()).isEqualTo("EXPECTED_HEAD_MISSING");
    assertThat(code(send(cleo, "POST", "/api/v1/audit/verify?expectedHead=abc", null))).isEqualTo("INVALID_QUERY");

    db.transact("tamper", () -> db.statement("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2").executeUpdate());
    JsonNode broken = json(send(cleo, "POST", "/api/v1/audit/verify", null));
    assertThat(broken.get("intact").asBoolean()).isFalse();
    assertThat(broken.get("brokenAt").asLong()).isEqualTo(2);
    assertThat(broken.get("problem").asText()).isEqualTo("EDITED");
  }

  @Test
  void theAuditStreamFollowsTheLedgerLiveAndResumesAfterLastEventId() throws Exception {
    long before = audit.events(AuditQuery.all(1000)).size();
    HttpRequest request = request(cleo, "GET", "/api/v1/audit/events/stream?action=grant.", null).header("Accept", "text/event-stream").build();
    HttpResponse<InputStream> res = http.send(request, BodyHandlers.ofInputStream());
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    var received = new ArrayList<String>();
    try (var reader = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
      send(dora, "PUT", grantPath(heart, "ana"), "{\"process\": true}");
      send(dora, "PATCH", "/api/v1/datasets/" + iris.id(), "{\"visibility\": \"private\"}"); // filtered out
      send(cleo, "DELETE", grantPath(heart, "ana"), null);
      String line;
      while (received.size() < 2 && (line = reader.readLine()) != null) {
        if (line.startsWith("event: ")) received.add(line.substring(7));
        if (line.startsWith("data: ")) {
          JsonNode data = Json.mapper().readTree(line.substring(6));
          assertThat(data.get("seq").asLong()).isGreaterThan(before);
          assertThat(data.get("hash").asText()).hasSize(64);
        }
      }
    }
    assertThat(received).containsExactly("grant.created", "grant.revoked");

    // reconnecting with Last-Event-ID gets only what came after
    long firstGrant = audit.events(AuditQuery.all(1000)).stream().filter(e -> e.action().equals("grant.created")).findFirst().orElseThrow().seq();
    HttpRequest resume = request(cleo, "GET", "/api/v1/audit/events/stream?action=grant.", null).header("Last-Event-ID", Long.toString(firstGrant)).build();
    HttpResponse<InputStream> again = http.send(resume, BodyHandlers.ofInputStream());
    try (var reader = new BufferedReader(new InputStreamReader(again.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null && !line.startsWith("event: ")) {
        // skip the retry line
      }
      assertThat(line).isEqualTo("event: grant.revoked");
    }
    assertThat(send(ana, "GET", "/api/v1/audit/events/stream", null).statusCode()).isEqualTo(403);
    assertThat(code(send(cleo, "GET", "/api/v1/audit/events/stream?since=never", null))).isEqualTo("INVALID_QUERY");
  }

  // ---- helpers ----

  private Principal principal(String token) {
    return identity.authenticate(token);
  }

  private static String grantPath(DatasetInfo dataset, String user) {
    return "/api/v1/datasets/" + dataset.id() + "/grants/" + user;
  }

  private static DatasetMetadata tabular(String name, Visibility visibility, List<String> tags, String... columns) {
    var features = new ArrayList<ColumnStats>();
    for (String c : columns) features.add(new ColumnStats(c, 100, 1, 1));
    return new DatasetMetadata(
        name, DatasetFormat.CSV, List.of(columns.length), features, LabelInfo.categorical("y", List.of(60L, 40L)), 100, 20, tags, visibility);
  }

  private static String job(String dataset) {
    return "{\"name\": \"plain\", \"datasets\": [\"" + dataset + "\"], \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"},"
        + " \"rounds\": 3, \"minNodes\": 1, \"standardize\": false}";
  }

  private HttpRequest.Builder request(String token, String method, String path, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(20));
    if (token != null) b.header("Authorization", "Bearer " + token);
    if (body != null) b.header("Content-Type", "application/json");
    return b.method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
  }

  private HttpResponse<String> send(String token, String method, String path, String body) throws Exception {
    return http.send(request(token, method, path, body).build(), BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> res) throws Exception {
    return Json.mapper().readTree(res.body());
  }

  private static String code(HttpResponse<String> res) throws Exception {
    return json(res).path("code").asText("(status " + res.statusCode() + ": " + res.body() + ")");
  }
}
