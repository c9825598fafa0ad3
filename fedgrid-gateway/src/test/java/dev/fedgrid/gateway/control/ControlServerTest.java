package dev.fedgrid.gateway.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.gateway.access.TestIdentity;
import dev.fedgrid.gateway.json.Json;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The control API over real HTTP on loopback, against {@link FakeControl}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ControlServerTest {
  private static final String SPEC = """
      {"name": "heart", "datasets": ["heart"], "model": {"layers": [{"type": "dense", "units": 1}], "loss": "binary_cross_entropy"},
       "training": {"epochs": 2}, "strategy": {"type": "fedprox", "mu": 0.1}, "rounds": 3, "minNodes": 1}
      """;

  @TempDir Path dir;
  private TestIdentity identity;
  private FakeControl control;
  private ControlServer server;
  private HttpClient http;
  private NodeInfo node;
  private DatasetInfo heart;

  @BeforeEach
  void start() {
    control = new FakeControl();
    node = control.addNode("hospital-a");
    heart = control.addDataset(node.id(), "heart", "medical", "tabular");
    control.addDataset(node.id(), "diabetes", "medical");
    identity = TestIdentity.open(dir);
    server = ControlServer.builder(control, identity.identity).heartbeat(Duration.ofMillis(200)).start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() {
    http.close();
    server.close();
    identity.close();
  }

  // ---- jobs ----

  @Test
  void submitsAJobAndAnswers201WithLocation() throws Exception {
    HttpResponse<String> res = send("POST", "/api/v1/jobs", SPEC);
    assertThat(res.statusCode()).isEqualTo(201);
    assertThat(res.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    JsonNode job = json(res);
    assertThat(job.get("id").asText()).startsWith("job_");
    assertThat(res.headers().firstValue("location")).contains("/api/v1/jobs/" + job.get("id").asText());
    assertThat(job.get("state").asText()).isEqualTo("queued");
    assertThat(job.at("/spec/training/epochs").asInt()).isEqualTo(2);
    assertThat(job.at("/spec/strategy/type").asText()).isEqualTo("fedprox");
    assertThat(job.get("createdAt").asText()).isEqualTo("2026-11-02T10:15:30Z");

    Job stored = Json.mapper().readValue(get("/api/v1/jobs/" + job.get("id").asText()).body(), Job.class);
    assertThat(stored.spec().name()).isEqualTo("heart");
  }

  @Test
  void showsCancelsAndDeletesAJob() throws Exception {
    Job job = control.addJob(JobState.RUNNING);
    assertThat(json(get("/api/v1/jobs/" + job.id())).get("state").asText()).isEqualTo("running");

    HttpResponse<String> deleteRunning = send("DELETE", "/api/v1/jobs/" + job.id(), null);
    assertError(deleteRunning, 409, "JOB_ACTIVE");

    HttpResponse<String> cancelled = send("POST", "/api/v1/jobs/" + job.id() + "/cancel", null);
    assertThat(cancelled.statusCode()).isEqualTo(200);
    assertThat(json(cancelled).get("state").asText()).isEqualTo("cancelled");
    assertError(send("POST", "/api/v1/jobs/" + job.id() + "/cancel", null), 409, "JOB_FINISHED");

    HttpResponse<String> deleted = send("DELETE", "/api/v1/jobs/" + job.id(), null);
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertThat(deleted.body()).isEmpty();
    assertError(get("/api/v1/jobs/" + job.id()), 404, "JOB_NOT_FOUND");
  }

  @Test
  void listsRounds() throws Exception {
    Job job = control.addJob(JobState.RUNNING);
    control.addRound(job.id(), 1, Map.of("accuracy", 0.8));
    control.addRound(job.id(), 2, Map.of("accuracy", 0.9));
    JsonNode items = json(get("/api/v1/jobs/" + job.id() + "/rounds")).get("items");
    assertThat(items).hasSize(2);
    assertThat(items.get(1).get("round").asInt()).isEqualTo(2);
    assertThat(items.get(1).at("/evalMetrics/accuracy").asDouble()).isEqualTo(0.9);
    assertThat(items.get(1).at("/failures/0/phase").asText()).isEqualTo("evaluate");
  }

  @Test
  void paginatesJobsWithAnOpaqueCursor() throws Exception {
    var created = new ArrayList<JobId>();
    for (int i = 0; i < 7; i++) {
      created.add(control.addJob(i % 2 == 0 ? JobState.RUNNING : JobState.COMPLETED).id());
      Thread.sleep(2); // ids sort by creation time
    }
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonNode page = json(get("/api/v1/jobs?limit=3" + (cursor == null ? "" : "&cursor=" + cursor)));
      page.get("items").forEach(j -> seen.add(j.get("id").asText()));
      cursor = page.hasNonNull("nextCursor") ? page.get("nextCursor").asText() : null;
      assertThat(cursor == null || !cursor.contains("job_")).as("cursor is opaque").isTrue();
      pages++;
    } while (cursor != null);
    assertThat(pages).isEqualTo(3);
    assertThat(seen).containsExactlyElementsOf(created.reversed().stream().map(JobId::value).toList());

    JsonNode exact = json(get("/api/v1/jobs?limit=4&state=running"));
    assertThat(exact.get("items")).hasSize(4);
    assertThat(exact.has("nextCursor")).as("no empty last page").isFalse();

    JsonNode filtered = json(get("/api/v1/jobs?state=completed,cancelled"));
    assertThat(filtered.get("items")).hasSize(3).allSatisfy(j -> assertThat(j.get("state").asText()).isEqualTo("completed"));
    assertThat(json(get("/api/v1/jobs?state=running&state=completed")).get("items")).hasSize(7);
    assertThat(json(get("/api/v1/jobs")).get("items")).hasSize(7);
  }

  @Test
  void refusesBadQueryParameters() throws Exception {
    assertError(get("/api/v1/jobs?limit=0"), 400, "INVALID_QUERY");
    assertError(get("/api/v1/jobs?limit=501"), 400, "INVALID_QUERY");
    assertError(get("/api/v1/jobs?limit=ten"), 400, "INVALID_QUERY");
    JsonNode state = assertError(get("/api/v1/jobs?state=runing"), 400, "INVALID_QUERY");
    assertThat(state.get("message").asText()).contains("runing").contains("queued, running");
    assertThat(state.at("/details/parameter").asText()).isEqualTo("state");
    assertError(get("/api/v1/jobs?cursor=not-a-cursor"), 400, "INVALID_CURSOR");
    assertError(get("/api/v1/jobs/" + control.addJob(JobState.RUNNING).id() + "/events?after=-1"), 400, "INVALID_QUERY");
  }

  // ---- authentication ----

  @Test
  void callsWithoutAValidTokenAre401WithWwwAuthenticate() throws Exception {
    for (String header : new String[] {null, "Basic b3duZXI6eA==", "Bearer", "Bearer fgt_unknown"}) {
      var b = HttpRequest.newBuilder(uri("/api/v1/jobs")).timeout(Duration.ofSeconds(20));
      if (header != null) b.header("Authorization", header);
      HttpResponse<String> res = http.send(b.build(), BodyHandlers.ofString());
      assertError(res, 401, header != null && header.startsWith("Bearer fgt_") ? "TOKEN_INVALID" : "UNAUTHENTICATED");
      assertThat(res.headers().firstValue("www-authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    }
    assertThat(http.send(HttpRequest.newBuilder(uri("/api/v1/health")).build(), BodyHandlers.ofString()).statusCode()).isEqualTo(200);
  }

  @Test
  void aRevokedTokenIs401AndAMissingPermissionIs403() throws Exception {
    String scientist = identity.tokenFor("sam", "data-scientist");
    HttpResponse<String> nodes = http.send(
        HttpRequest.newBuilder(uri("/api/v1/nodes")).header("Authorization", "Bearer " + scientist).build(), BodyHandlers.ofString());
    JsonNode denied = assertError(nodes, 403, "PERMISSION_DENIED");
    assertThat(denied.at("/details/permissions")).extracting(JsonNode::asText).containsExactly("can_upload_data", "can_manage_infrastructure");
    JsonNode tokens = Json.mapper().readTree(http.send(
        HttpRequest.newBuilder(uri("/api/v1/tokens")).header("Authorization", "Bearer " + scientist).build(), BodyHandlers.ofString()).body());
    String id = tokens.at("/items/0/id").asText();
    assertThat(http.send(HttpRequest.newBuilder(uri("/api/v1/tokens/" + id)).DELETE().header("Authorization", "Bearer " + scientist).build(),
        BodyHandlers.ofString()).statusCode()).isEqualTo(204);
    HttpResponse<String> after = http.send(
        HttpRequest.newBuilder(uri("/api/v1/me")).header("Authorization", "Bearer " + scientist).build(), BodyHandlers.ofString());
    assertError(after, 401, "TOKEN_REVOKED");
    assertThat(after.headers().firstValue("www-authenticate")).isPresent();
  }

  @Test
  void loginIssuesASessionTokenAndFailuresAreRateLimited() throws Exception {
    identity.tokenFor("ana", "data-scientist");
    HttpResponse<String> ok = http.send(HttpRequest.newBuilder(uri("/api/v1/login"))
        .POST(BodyPublishers.ofString("{\"user\": \"ana\", \"password\": \"correct horse battery staple\"}")).build(), BodyHandlers.ofString());
    JsonNode login = json(ok);
    assertThat(login.get("token").asText()).startsWith("fgt_");
    assertThat(login.at("/user/name").asText()).isEqualTo("ana");
    assertThat(login.at("/user/permissions")).extracting(JsonNode::asText).containsExactly("can_make_data_requests");
    JsonNode me = json(http.send(HttpRequest.newBuilder(uri("/api/v1/me")).header("Authorization", "Bearer " + login.get("token").asText()).build(),
        BodyHandlers.ofString()));
    assertThat(me.get("role").asText()).isEqualTo("data-scientist");

    String wrong = "{\"user\": \"ana\", \"password\": \"wrong password!\"}";
    String unknown = "{\"user\": \"nobody\", \"password\": \"wrong password!\"}";
    JsonNode a = assertError(http.send(HttpRequest.newBuilder(uri("/api/v1/login")).POST(BodyPublishers.ofString(wrong)).build(), BodyHandlers.ofString()), 401, "LOGIN_FAILED");
    JsonNode b = assertError(http.send(HttpRequest.newBuilder(uri("/api/v1/login")).POST(BodyPublishers.ofString(unknown)).build(), BodyHandlers.ofString()), 401, "LOGIN_FAILED");
    assertThat(a.get("message")).isEqualTo(b.get("message"));
    for (int i = 0; i < 4; i++) http.send(HttpRequest.newBuilder(uri("/api/v1/login")).POST(BodyPublishers.ofString(wrong)).build(), BodyHandlers.ofString());
    HttpResponse<String> locked = http.send(HttpRequest.newBuilder(uri("/api/v1/login"))
        .POST(BodyPublishers.ofString("{\"user\": \"ana\", \"password\": \"correct horse battery staple\"}")).build(), BodyHandlers.ofString());
    JsonNode limited = assertError(locked, 401, "LOGIN_RATE_LIMITED");
    assertThat(limited.at("/details/retryAfterSeconds").asLong()).isBetween(1L, 900L);
    assertThat(locked.headers().firstValue("retry-after")).isPresent();
  }

  // ---- errors ----

  @Test
  void badIdsInPathsAre400() throws Exception {
    JsonNode e = assertError(get("/api/v1/jobs/job_nope"), 400, "INVALID_ID");
    assertThat(e.get("message").asText()).contains("job_nope").contains("26");
    assertError(get("/api/v1/nodes/ds_01jd3v6q9e8r4k2m7n5p0s1t2w"), 400, "INVALID_ID");
    assertError(get("/api/v1/datasets/x"), 400, "INVALID_ID");
    assertError(send("POST", "/api/v1/jobs/nope/cancel", null), 400, "INVALID_ID");
  }

  @Test
  void unknownThingsAre404() throws Exception {
    assertError(get("/api/v1/jobs/" + JobId.random()), 404, "JOB_NOT_FOUND");
    assertError(get("/api/v1/nodes/" + dev.fedgrid.api.NodeId.random()), 404, "NODE_NOT_FOUND");
    assertError(get("/api/v1/datasets/" + dev.fedgrid.api.DatasetId.random()), 404, "DATASET_NOT_FOUND");
    JsonNode route = assertError(get("/api/v1/jobz"), 404, "ROUTE_NOT_FOUND");
    assertThat(route.get("message").asText()).contains("/api/v1/jobz").contains("openapi.json");
    assertError(get("/"), 404, "ROUTE_NOT_FOUND");
    assertError(get("/api/v1/jobs/" + JobId.random() + "/nothing"), 404, "ROUTE_NOT_FOUND");
  }

  @Test
  void wrongMethodIs405WithAllow() throws Exception {
    HttpResponse<String> res = send("PUT", "/api/v1/jobs", "{}");
    JsonNode e = assertError(res, 405, "METHOD_NOT_ALLOWED");
    assertThat(res.headers().firstValue("allow")).hasValueSatisfying(v -> assertThat(v).contains("GET").contains("POST"));
    assertThat(e.get("message").asText()).contains("PUT");
    assertError(send("POST", "/api/v1/health", "{}"), 405, "METHOD_NOT_ALLOWED");
    assertError(send("GET", "/api/v1/jobs/" + JobId.random() + "/cancel", null), 405, "METHOD_NOT_ALLOWED");
  }

  @Test
  void malformedJsonNamesLineAndColumn() throws Exception {
    JsonNode e = assertError(send("POST", "/api/v1/jobs", "{\"name\": \"x\",\n \"rounds\": 3,,\n}"), 400, "MALFORMED_JSON");
    assertThat(e.get("message").asText()).contains("line 2").contains("column");
    assertThat(e.at("/details/line").asInt()).isEqualTo(2);
    assertThat(e.at("/details/column").asInt()).isPositive();

    JsonNode nested = assertError(send("POST", "/api/v1/jobs", "{\"training\": {\"epochs\": 2 \"lr\": 1}}"), 400, "MALFORMED_JSON");
    assertThat(nested.at("/details/field").asText()).startsWith("training");

    assertError(send("POST", "/api/v1/jobs", ""), 400, "MALFORMED_JSON");
    assertError(send("POST", "/api/v1/jobs", "null"), 400, "MALFORMED_JSON");
    assertError(send("POST", "/api/v1/jobs", "[1, 2]"), 400, "MALFORMED_JSON");
    assertError(send("POST", "/api/v1/jobs", SPEC + " trailing"), 400, "MALFORMED_JSON");
    assertError(send("POST", "/api/v1/jobs", "{\"rounds\": 1, \"rounds\": 2}"), 400, "MALFORMED_JSON");
  }

  @Test
  void unknownAndMistypedFieldsAreNamed() throws Exception {
    JsonNode unknown = assertError(send("POST", "/api/v1/jobs", SPEC.replace("\"epochs\"", "\"epoch\"")), 400, "UNKNOWN_FIELD");
    assertThat(unknown.get("message").asText()).contains("training.epoch").contains("epochs");
    assertThat(unknown.at("/details/field").asText()).isEqualTo("training.epoch");

    JsonNode typed = assertError(send("POST", "/api/v1/jobs", SPEC.replace("\"rounds\": 3", "\"rounds\": \"three\"")), 400, "INVALID_FIELD");
    assertThat(typed.get("message").asText()).contains("rounds").contains("integer");

    JsonNode layer = assertError(send("POST", "/api/v1/jobs", SPEC.replace("\"dense\"", "\"densse\"")), 400, "INVALID_FIELD");
    assertThat(layer.get("message").asText()).contains("densse").contains("dense").contains("model.layers[0]");

    JsonNode optimizer = assertError(send("POST", "/api/v1/jobs", SPEC.replace("\"epochs\": 2", "\"optimizer\": \"rmsprop\"")), 400, "INVALID_FIELD");
    assertThat(optimizer.get("message").asText()).contains("training.optimizer").contains("rmsprop").contains("sgd, adam");
  }

  @Test
  void recordValidationFailuresAreUnwrapped() throws Exception {
    JsonNode epochs = assertError(send("POST", "/api/v1/jobs", SPEC.replace("\"epochs\": 2", "\"epochs\": 0")), 400, "INVALID_TRAINING_CONFIG");
    assertThat(epochs.get("message").asText()).isEqualTo("epochs must be in [1, 1000], got 0");
    assertThat(epochs.at("/details/field").asText()).isEqualTo("training");

    assertError(send("POST", "/api/v1/jobs", SPEC.replace("\"mu\": 0.1", "\"mu\": -1")), 400, "INVALID_STRATEGY");
    assertError(send("POST", "/api/v1/jobs", SPEC.replace("\"rounds\": 3", "\"rounds\": 0")), 400, "INVALID_JOB");
    assertError(send("POST", "/api/v1/jobs", "{\"datasets\": [\"heart\"]}"), 400, "INVALID_JOB");
    assertError(send("POST", "/api/v1/jobs", SPEC.replace("\"heart\"]", "\"nothing\"]")), 404, "DATASET_NOT_FOUND");
  }

  @Test
  void privacyIsReadFromJsonWithDefaultsAndCheckedAgainstTheStrategy() throws Exception {
    String fedavg = SPEC.replace("{\"type\": \"fedprox\", \"mu\": 0.1}", "{\"type\": \"fedavg\"}");
    HttpResponse<String> res = send("POST", "/api/v1/jobs", fedavg.replace("\"rounds\": 3", "\"rounds\": 3, \"privacy\": {\"noiseMultiplier\": 1.1, \"clipNorm\": 1.0}"));
    assertThat(res.statusCode()).isEqualTo(201);
    JsonNode privacy = json(res).at("/spec/privacy");
    assertThat(privacy.get("noiseMultiplier").asDouble()).isEqualTo(1.1);
    assertThat(privacy.get("delta").asDouble()).isEqualTo(1e-5);
    assertThat(privacy.get("adaptiveClipping").asBoolean()).isFalse();
    assertThat(privacy.has("targetQuantile")).isFalse();

    JsonNode wrongStrategy = assertError(send("POST", "/api/v1/jobs", SPEC.replace("\"rounds\": 3", "\"rounds\": 3, \"privacy\": {\"noiseMultiplier\": 1.1}")), 400, "INVALID_PRIVACY");
    assertThat(wrongStrategy.get("message").asText()).startsWith("differential privacy currently works with fedavg");
    assertError(send("POST", "/api/v1/jobs", fedavg.replace("\"rounds\": 3", "\"rounds\": 3, \"privacy\": {\"clipNorm\": 1.0}")), 400, "INVALID_PRIVACY");
  }

  @Test
  void largeBodiesAre413() throws Exception {
    String padding = " ".repeat(JsonBodies.MAX_JSON_BYTES);
    JsonNode e = assertError(send("POST", "/api/v1/jobs", "{" + padding + "}"), 413, "PAYLOAD_TOO_LARGE");
    assertThat(e.at("/details/limitBytes").asInt()).isEqualTo(JsonBodies.MAX_JSON_BYTES);
    assertThat(json(get("/api/v1/health")).get("status").asText()).as("server still fine").isEqualTo("ok");
  }

  @Test
  void unexpectedFailuresAre500WithoutInternals() throws Exception {
    control.failNext.set(new IllegalStateException("secret table gateway_jobs is corrupt"));
    JsonNode e = assertError(get("/api/v1/jobs"), 500, "INTERNAL");
    assertThat(e.get("message").asText()).doesNotContain("secret").contains("error id");
    assertThat(e.at("/details/errorId").asText()).isNotBlank();

    control.failNext.set(new dev.fedgrid.api.UnavailableException("TOO_FEW_NODES", "need 2 nodes"));
    assertError(get("/api/v1/jobs"), 503, "TOO_FEW_NODES");
    control.failNext.set(new dev.fedgrid.api.UnauthenticatedException("TOKEN_MISSING", "log in"));
    assertError(get("/api/v1/jobs"), 401, "TOKEN_MISSING");
    control.failNext.set(new dev.fedgrid.api.PermissionDeniedException("FORBIDDEN", "not yours"));
    assertError(get("/api/v1/jobs"), 403, "FORBIDDEN");
    control.failNext.set(new dev.fedgrid.api.InternalException("STATE_STORE_FAILED", "the state store failed; see the log"));
    assertError(get("/api/v1/jobs"), 500, "STATE_STORE_FAILED");
  }

  // ---- nodes, datasets, service ----

  @Test
  void listsAndShowsNodesAndDatasets() throws Exception {
    JsonNode nodes = json(get("/api/v1/nodes")).get("items");
    assertThat(nodes).hasSize(1);
    assertThat(nodes.get(0).get("status").asText()).isEqualTo("online");
    assertThat(json(get("/api/v1/nodes/" + node.id())).get("name").asText()).isEqualTo("hospital-a");

    assertThat(json(get("/api/v1/datasets")).get("items")).hasSize(2);
    assertThat(json(get("/api/v1/datasets?name=heart")).get("items")).hasSize(1);
    assertThat(json(get("/api/v1/datasets?tag=tabular")).get("items")).hasSize(1);
    assertThat(json(get("/api/v1/datasets?tag=medical&name=")).get("items")).hasSize(2);
    JsonNode d = json(get("/api/v1/datasets/" + heart.id()));
    assertThat(d.at("/metadata/label/kind").asText()).isEqualTo("categorical");
    assertThat(d.at("/metadata/featureShape/0").asInt()).isEqualTo(3);
    assertThat(d.get("nodeId").asText()).isEqualTo(node.id().value());
  }

  @Test
  void healthAndOpenApi() throws Exception {
    JsonNode health = json(get("/api/v1/health"));
    assertThat(health.get("status").asText()).isEqualTo("ok");
    assertThat(health.get("version").asText()).isNotBlank();
    JsonNode doc = json(get("/api/v1/openapi.json"));
    assertThat(doc.get("openapi").asText()).startsWith("3.1");
  }

  // ---- model ----

  @Test
  void modelDownloadIsAValidSafetensorsFile() throws Exception {
    Job job = control.addJob(JobState.RUNNING);
    assertError(get("/api/v1/jobs/" + job.id() + "/model"), 409, "MODEL_NOT_READY");
    ModelSpec spec = job.spec().model();
    var layout = spec.parameterLayout(List.of(3));
    control.setModel(job.id(), 2, new Parameters(layout, new float[] {0.5f, -1.25f, 3f, 0.125f}));

    HttpResponse<byte[]> res = http.send(request("GET", "/api/v1/jobs/" + job.id() + "/model", null), BodyHandlers.ofByteArray());
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("content-type")).contains("application/octet-stream");
    assertThat(res.headers().firstValue("content-disposition")).hasValueSatisfying(v -> assertThat(v).contains(job.id() + "-round2.safetensors"));

    ByteBuffer buf = ByteBuffer.wrap(res.body()).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = buf.getLong();
    assertThat(headerLength).isBetween(2L, (long) res.body().length - 8);
    JsonNode header = Json.mapper().readTree(new String(res.body(), 8, (int) headerLength, StandardCharsets.UTF_8));
    JsonNode meta = header.get("__metadata__");
    assertThat(meta.get("jobId").asText()).isEqualTo(job.id().value());
    assertThat(meta.get("round").asText()).isEqualTo("2");
    assertThat(Json.mapper().readValue(meta.get("spec").asText(), ModelSpec.class)).isEqualTo(spec);
    assertThat(meta.get("inputShape").asText()).isEqualTo("[3]");
    assertThat(Json.mapper().readTree(meta.get("scaling").asText()).at("/scale/2").asDouble()).isEqualTo(2.0);

    int dataStart = 8 + (int) headerLength;
    float[] expected = {0.5f, -1.25f, 3f, 0.125f};
    int seen = 0;
    Set<String> names = new HashSet<>();
    for (Iterator<String> it = header.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (name.equals("__metadata__")) continue;
      names.add(name);
      JsonNode t = header.get(name);
      assertThat(t.get("dtype").asText()).isEqualTo("F32");
      int begin = t.at("/data_offsets/0").asInt();
      int end = t.at("/data_offsets/1").asInt();
      int offset = name.equals("layer0.weight") ? 0 : 3;
      for (int i = 0; i < (end - begin) / 4; i++) {
        assertThat(buf.getFloat(dataStart + begin + 4 * i)).isEqualTo(expected[offset + i]);
        seen++;
      }
    }
    assertThat(names).containsExactlyInAnyOrder("layer0.weight", "layer0.bias");
    assertThat(seen).isEqualTo(4);
    assertThat(header.at("/layer0.weight/shape").toString()).isEqualTo("[1,3]");
  }

  @Test
  void modelSpecDescribesTheModel() throws Exception {
    Job job = control.addJob(JobState.COMPLETED);
    var layout = job.spec().model().parameterLayout(List.of(3));
    control.setModel(job.id(), 3, new Parameters(layout, new float[4]));
    JsonNode d = json(get("/api/v1/jobs/" + job.id() + "/model/spec"));
    assertThat(d.get("jobId").asText()).isEqualTo(job.id().value());
    assertThat(d.get("round").asInt()).isEqualTo(3);
    assertThat(d.at("/spec/layers/0/type").asText()).isEqualTo("dense");
    assertThat(d.at("/spec/loss").asText()).isEqualTo("binary_cross_entropy");
    assertThat(d.get("inputShape").toString()).isEqualTo("[3]");
    assertThat(d.at("/scaling/mean/1").asDouble()).isEqualTo(2.0);
    assertThat(d.at("/layout/tensors/0/name").asText()).isEqualTo("layer0.weight");
    assertThat(d.at("/layout/tensors/0/shape").toString()).isEqualTo("[1,3]");
  }

  // ---- events ----

  @Test
  void streamsEventsInOrderAndEndsAfterTheTerminalState() throws Exception {
    Job job = control.addJob(JobState.RUNNING);
    control.appendEvent(job.id(), "started", "started on 1 node");
    var stream = openStream(job.id(), null, null);
    HttpResponse<InputStream> res = stream.response();
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
    CompletableFuture<List<Sse>> all = CompletableFuture.supplyAsync(() -> readEvents(res.body()));

    Thread.sleep(300); // idle: at least one heartbeat
    control.appendEvent(job.id(), "round_completed", "round 1/3: accuracy 0.81");
    control.appendEvent(job.id(), "round_completed", "round 2/3: accuracy 0.85, \"quoted\"\nnewline");
    control.setState(job.id(), JobState.COMPLETED, 2, Map.of("accuracy", 0.85));
    control.appendEvent(job.id(), "completed", "completed 2 rounds");

    List<Sse> events = all.get(10, TimeUnit.SECONDS);
    List<Sse> real = events.stream().filter(e -> e.id() != null).toList();
    assertThat(real).extracting(Sse::id).containsExactly("1", "2", "3", "4");
    assertThat(real).extracting(Sse::event).containsExactly("started", "round_completed", "round_completed", "completed");
    JsonNode data = Json.mapper().readTree(real.get(2).data());
    assertThat(data.get("message").asText()).isEqualTo("round 2/3: accuracy 0.85, \"quoted\"\nnewline");
    assertThat(data.get("seq").asLong()).isEqualTo(3);
    assertThat(data.get("at").asText()).endsWith("Z");
    assertThat(events).anyMatch(e -> e.comment() != null && e.comment().contains("keep-alive"));
  }

  @Test
  void resumesFromLastEventIdOrAfter() throws Exception {
    Job job = control.addJob(JobState.RUNNING);
    for (int i = 1; i <= 5; i++) control.appendEvent(job.id(), "round_completed", "round " + i);
    control.setState(job.id(), JobState.FAILED, 5, Map.of());
    control.appendEvent(job.id(), "failed", "boom");

    var fromHeader = readEvents(openStream(job.id(), "4", "1").response().body());
    assertThat(fromHeader.stream().filter(e -> e.id() != null)).extracting(Sse::id).containsExactly("5", "6");
    var fromQuery = readEvents(openStream(job.id(), null, "2").response().body());
    assertThat(fromQuery.stream().filter(e -> e.id() != null)).extracting(Sse::id).containsExactly("3", "4", "5", "6");
    var caughtUp = readEvents(openStream(job.id(), "6", null).response().body());
    assertThat(caughtUp.stream().filter(e -> e.id() != null)).isEmpty();
  }

  @Test
  void streamOfAnUnknownJobIsA404Json() throws Exception {
    assertError(get("/api/v1/jobs/" + JobId.random() + "/events"), 404, "JOB_NOT_FOUND");
    Job job = control.addJob(JobState.RUNNING);
    HttpResponse<String> bad = http.send(
        HttpRequest.newBuilder(uri("/api/v1/jobs/" + job.id() + "/events")).header("Last-Event-ID", "x").header("Authorization", bearer()).build(), BodyHandlers.ofString());
    assertError(bad, 400, "INVALID_QUERY");
  }

  @Test
  void streamEndsWhenTheJobIsDeleted() throws Exception {
    Job job = control.addJob(JobState.RUNNING);
    var stream = openStream(job.id(), null, null);
    CompletableFuture<List<Sse>> all = CompletableFuture.supplyAsync(() -> readEvents(stream.response().body()));
    Thread.sleep(100);
    control.setState(job.id(), JobState.CANCELLED, 0, Map.of());
    control.deleteJob(identity.ownerPrincipal(), job.id());
    assertThat(all.get(10, TimeUnit.SECONDS)).allMatch(e -> e.id() == null);
  }

  // ---- helpers ----

  record Sse(String id, String event, String data, String comment) {}

  record Stream(HttpResponse<InputStream> response) {}

  private Stream openStream(JobId job, String lastEventId, String after) throws Exception {
    var b = HttpRequest.newBuilder(uri("/api/v1/jobs/" + job + "/events" + (after == null ? "" : "?after=" + after)))
        .header("Accept", "text/event-stream")
        .header("Authorization", bearer());
    if (lastEventId != null) b.header("Last-Event-ID", lastEventId);
    return new Stream(http.send(b.build(), BodyHandlers.ofInputStream()));
  }

  /** A minimal SSE parser: reads until the server ends the stream. */
  static List<Sse> readEvents(InputStream body) {
    var events = new ArrayList<Sse>();
    try (var reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String id = null, event = null, data = null, comment = null;
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.isEmpty()) {
          if (id != null || event != null || data != null || comment != null) events.add(new Sse(id, event, data, comment));
          id = event = data = comment = null;
        } else if (line.startsWith(":")) {
          comment = line.substring(1).strip();
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data = data == null ? line.substring(6) : data + "\n" + line.substring(6);
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return events;
  }

  private String bearer() {
    return "Bearer " + identity.owner.token();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  private HttpRequest request(String method, String path, String body) {
    return HttpRequest.newBuilder(uri(path))
        .timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .header("Authorization", bearer())
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body))
        .build();
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return http.send(request(method, path, body), BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send("GET", path, null);
  }

  private static JsonNode json(HttpResponse<String> res) throws Exception {
    assertThat(res.statusCode()).as(res.body()).isBetween(200, 299);
    return Json.mapper().readTree(res.body());
  }

  /** Checks status, content type and the exact error body shape; returns the body. */
  private static JsonNode assertError(HttpResponse<String> res, int status, String code) throws Exception {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    assertThat(res.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    JsonNode body = Json.mapper().readTree(res.body());
    assertThat(body.get("code").asText()).as(res.body()).isEqualTo(code);
    assertThat(body.get("message").asText()).isNotBlank();
    assertThat(body.get("details").isObject()).isTrue();
    assertThat(body.size()).as("only code, message, details").isEqualTo(3);
    return body;
  }
}
