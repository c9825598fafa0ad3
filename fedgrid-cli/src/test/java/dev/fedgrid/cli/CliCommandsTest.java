package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.api.node.NodeStatus;
import dev.fedgrid.cli.CliHelpTest.Run;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The commands against a stand-in control API: requests sent, human and JSON output, exit codes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliCommandsTest {
  static final Instant T0 = Instant.parse("2026-11-02T10:15:30Z");
  static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

  private FakeApi api;
  private NodeInfo node;
  private DatasetInfo heart;
  private DatasetInfo images;

  @BeforeEach
  void start() throws IOException {
    api = new FakeApi();
    node = new NodeInfo(NodeId.random(), "hospital-a", NodeStatus.ONLINE, 4, 8192, "0.1.0", T0, T0, null);
    heart = new DatasetInfo(DatasetId.random(), node.id(), new DatasetMetadata(
        "heart", DatasetFormat.CSV, List.of(2), List.of(new ColumnStats("age", 100, 54.25, 9.5), new ColumnStats("chol", 100, 240, 50)),
        LabelInfo.categorical("target", List.of(55L, 45L)), 100, 20, List.of("medical", "tabular"), Visibility.PUBLIC), T0);
    images = new DatasetInfo(DatasetId.random(), node.id(), new DatasetMetadata(
        "fashion-mnist", DatasetFormat.IDX, List.of(1, 28, 28), List.of(), LabelInfo.categorical("label", java.util.Collections.nCopies(10, 600L)),
        6000, 1000, List.of("images"), Visibility.PUBLIC), T0);
    json("GET", "/api/v1/nodes", Map.of("items", List.of(node)));
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private void json(String method, String path, Object body) {
    json(method, path, 200, body);
  }

  private void json(String method, String path, int status, Object body) {
    api.on(method, path, ex -> FakeApi.send(ex, status, "application/json", CliJson.pretty(body)));
  }

  private void error(String method, String path, int status, String code, String message) {
    json(method, path, status, Map.of("code", code, "message", message, "details", Map.of()));
  }

  private Run run(String... args) {
    var all = new ArrayList<>(List.of(args));
    all.add("--gateway");
    all.add(api.uri().toString());
    return CliHelpTest.run(all.toArray(String[]::new));
  }

  static Job job(JobState state, int completed, Map<String, Double> metrics) {
    JobSpec spec = new JobSpec("heart logistic", List.of("heart"), ModelSpec.logisticRegression(), null, null, 3, 2, null, null);
    return new Job(JobId.random(), spec, state, completed, state == JobState.FAILED ? "round 2 failed: 1 of 2 updates arrived" : "", T0, T0, null, metrics);
  }

  // ---- datasets ----

  @Test
  void datasetListPrintsAnAlignedTable() {
    json("GET", "/api/v1/datasets", Map.of("items", List.of(heart, images)));
    Run r = run("dataset", "list");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).startsWith("ID").contains("NAME").contains("NODE").contains("LABEL");
    int nameColumn = lines.get(0).indexOf("NAME");
    assertThat(lines.get(1).indexOf("heart")).isEqualTo(nameColumn);
    assertThat(lines.get(2).indexOf("fashion-mnist")).isEqualTo(nameColumn);
    assertThat(lines.get(1)).contains("hospital-a").contains("2 classes").contains("medical,tabular");
    assertThat(lines.get(2)).contains("[1, 28, 28]").contains("10 classes");
  }

  @Test
  void datasetListJsonIsTheApiJson() throws Exception {
    json("GET", "/api/v1/datasets", Map.of("items", List.of(heart)));
    Run r = run("dataset", "list", "--tag", "medical", "--name", "heart", "--json");
    assertThat(r.code()).isZero();
    JsonNode body = JSON.readTree(r.out());
    assertThat(body.at("/items/0/id").asText()).isEqualTo(heart.id().value());
    assertThat(body.at("/items/0/metadata/label/kind").asText()).isEqualTo("categorical");
    assertThat(body.at("/items/0/registeredAt").asText()).isEqualTo("2026-11-02T10:15:30Z");
    assertThat(api.seen.getFirst().query()).isEqualTo("name=heart&tag=medical");
  }

  @Test
  void datasetShowByNameOrId() throws Exception {
    json("GET", "/api/v1/datasets", Map.of("items", List.of(heart)));
    json("GET", "/api/v1/datasets/" + heart.id(), heart);
    Run byName = run("dataset", "show", "heart");
    assertThat(byName.code()).as(byName.err()).isZero();
    assertThat(byName.out()).contains("hospital-a (" + node.id() + ")").contains("target: 2 classes (rows per class 55, 45)")
        .contains("100 train, 20 test").contains("COLUMN").contains("54.2500");
    Run byId = run("dataset", "show", heart.id().value(), "--json");
    assertThat(JSON.readTree(byId.out()).at("/metadata/name").asText()).isEqualTo("heart");

    json("GET", "/api/v1/datasets", Map.of("items", List.of(heart, heart)));
    Run ambiguous = run("dataset", "show", "heart");
    assertThat(ambiguous.code()).isEqualTo(1);
    assertThat(ambiguous.err()).contains("2 datasets are named 'heart'").endsWith("(AMBIGUOUS_DATASET)\n");
  }

  // ---- errors ----

  @Test
  void failuresPrintMessageAndCodeAndExit1() {
    JobId id = JobId.random();
    error("GET", "/api/v1/jobs/" + id, 404, "JOB_NOT_FOUND", "there is no job " + id + "; list jobs with `fedgrid job list`");
    Run r = run("job", "show", id.value());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("error: there is no job " + id + "; list jobs with `fedgrid job list` (JOB_NOT_FOUND)\n");
    assertThat(r.out()).isEmpty();

    Run bad = run("job", "show", "job_x");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).startsWith("error: 'job_x' is not a job id").endsWith("(INVALID_ID)\n");
  }

  @Test
  void anUnreachableGatewayIsExplained() throws IOException {
    int port;
    try (var s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = CliHelpTest.run("job", "list", "--gateway", "http://127.0.0.1:" + port);
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: cannot reach the gateway at http://127.0.0.1:" + port + ": is `fedgrid gateway start` running?")
        .contains("(GATEWAY_UNREACHABLE)\n")
        .contains("--gateway URL or set FEDGRID_GATEWAY");
  }

  @Test
  void theGatewayComesFromTheEnvironmentWhenNotGiven() {
    json("GET", "/api/v1/jobs", Map.of("items", List.of()));
    System.setProperty("FEDGRID_GATEWAY", api.uri().toString()); // picocli reads system properties before the environment
    try {
      Run r = CliHelpTest.run("job", "list");
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(api.seen).hasSize(1);
    } finally {
      System.clearProperty("FEDGRID_GATEWAY");
    }
  }

  // ---- jobs ----

  @Test
  void submitResolvesThePresetAndPrintsTheId() throws Exception {
    json("GET", "/api/v1/datasets", Map.of("items", List.of(heart)));
    Job job = job(JobState.QUEUED, 0, Map.of());
    json("POST", "/api/v1/jobs", 201, job);
    Run r = run("job", "submit", "--dataset", "heart", "--dataset", "heart-b", "--model", "mlp:16,8", "--rounds", "5",
        "--strategy", "fedprox", "--mu", "0.05", "--epochs", "2", "--batch-size", "16", "--optimizer", "adam", "--lr", "0.01",
        "--seed", "7", "--min-nodes", "3", "--round-timeout", "5m", "--no-standardize");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(job.id() + "\n");
    assertThat(r.err()).contains("fedgrid job watch " + job.id());

    JsonNode sent = JSON.readTree(api.seen.stream().filter(s -> s.method().equals("POST")).findFirst().orElseThrow().body());
    assertThat(sent.get("name").asText()).isEqualTo("heart mlp:16-8");
    assertThat(sent.get("datasets").toString()).isEqualTo("[\"heart\",\"heart-b\"]");
    assertThat(sent.at("/model/layers").toString())
        .isEqualTo("[{\"type\":\"dense\",\"units\":16},{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":8},{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":1}]");
    assertThat(sent.at("/model/loss").asText()).isEqualTo("binary_cross_entropy");
    assertThat(sent.at("/strategy").toString()).isEqualTo("{\"type\":\"fedprox\",\"mu\":0.05}");
    assertThat(sent.at("/training/epochs").asInt()).isEqualTo(2);
    assertThat(sent.at("/training/batchSize").asInt()).isEqualTo(16);
    assertThat(sent.at("/training/optimizer").asText()).isEqualTo("adam");
    assertThat(sent.at("/training/learningRate").asDouble()).isEqualTo(0.01);
    assertThat(sent.at("/training/seed").asLong()).isEqualTo(7);
    assertThat(sent.get("rounds").asInt()).isEqualTo(5);
    assertThat(sent.get("minNodes").asInt()).isEqualTo(3);
    assertThat(sent.get("roundTimeoutSeconds").asInt()).isEqualTo(300);
    assertThat(sent.get("standardize").asBoolean()).isFalse();
    assertThat(api.seen.getFirst().query()).isEqualTo("name=heart");
  }

  @Test
  void submitWithCnnAndJson() throws Exception {
    json("GET", "/api/v1/datasets/" + images.id(), images);
    Job job = job(JobState.QUEUED, 0, Map.of());
    json("POST", "/api/v1/jobs", 201, job);
    Run r = run("job", "submit", "--dataset", images.id().value(), "--model", "cnn", "--strategy", "fedadam", "--server-lr", "0.02", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(JSON.readTree(r.out()).get("id").asText()).isEqualTo(job.id().value());
    JsonNode sent = JSON.readTree(api.seen.getLast().body());
    assertThat(sent.at("/model/layers/0/type").asText()).isEqualTo("conv2d");
    assertThat(sent.at("/model/layers/9/units").asInt()).isEqualTo(10);
    assertThat(sent.at("/strategy/type").asText()).isEqualTo("fedadam");
    assertThat(sent.at("/strategy/eta").asDouble()).isEqualTo(0.02);

    json("GET", "/api/v1/datasets", Map.of("items", List.of(heart)));
    Run wrong = run("job", "submit", "--dataset", "heart", "--model", "cnn");
    assertThat(wrong.code()).isEqualTo(1);
    assertThat(wrong.err()).contains("the cnn preset needs image features").contains("(INVALID_MODEL_PRESET)");
  }

  @Test
  void submitReportsAMissingDatasetAndABadPreset() {
    json("GET", "/api/v1/datasets", Map.of("items", List.of()));
    Run missing = run("job", "submit", "--dataset", "nothing", "--model", "logistic");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("no dataset is named 'nothing'").contains("(DATASET_NOT_FOUND)");
    json("GET", "/api/v1/datasets", Map.of("items", List.of(heart)));
    Run preset = run("job", "submit", "--dataset", "heart", "--model", "transformer");
    assertThat(preset.code()).isEqualTo(1);
    assertThat(preset.err()).contains("unknown model 'transformer'").contains("(UNKNOWN_MODEL_PRESET)");
  }

  @Test
  void jobListTableJsonAndCursor() throws Exception {
    Job a = job(JobState.RUNNING, 1, Map.of("accuracy", 0.81234, "loss", 0.4));
    Job b = job(JobState.COMPLETED, 3, Map.of());
    var page = new LinkedHashMap<String, Object>();
    page.put("items", List.of(a, b));
    page.put("nextCursor", "Y3Vyc29y");
    json("GET", "/api/v1/jobs", page);
    Run r = run("job", "list", "--state", "running,completed", "--limit", "2");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(api.seen.getLast().query()).isEqualTo("state=running,completed&limit=2");
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).startsWith("ID").contains("STATE").contains("ROUNDS").contains("METRICS");
    assertThat(lines.get(1)).contains(a.id().value()).contains("running").contains("1/3").contains("accuracy 0.8123, loss 0.4000");
    assertThat(lines.get(2)).contains("completed").contains("3/3");
    assertThat(r.err()).contains("fedgrid job list --cursor Y3Vyc29y --limit 2");

    Run js = run("job", "list", "--json");
    JsonNode body = JSON.readTree(js.out());
    assertThat(body.get("items")).hasSize(2);
    assertThat(body.get("nextCursor").asText()).isEqualTo("Y3Vyc29y");
    assertThat(api.seen.getLast().query()).isEqualTo("limit=50");
  }

  @Test
  void jobShowPrintsSpecAndRounds() throws Exception {
    Job job = job(JobState.RUNNING, 2, Map.of("accuracy", 0.9));
    json("GET", "/api/v1/jobs/" + job.id(), job);
    var r1 = new RoundSummary(job.id(), 1, T0, T0.plusSeconds(4), List.of(node.id()), 1, 100, List.of(), Map.of("loss", 0.5), Map.of("accuracy", 0.8, "loss", 0.45));
    var r2 = new RoundSummary(job.id(), 2, T0, T0.plusSeconds(75), List.of(node.id()), 1, 100,
        List.of(new NodeFailure(node.id(), "evaluate", "timed out")), Map.of("loss", 0.4), Map.of("accuracy", 0.9, "loss", 0.35));
    json("GET", "/api/v1/jobs/" + job.id() + "/rounds", Map.of("items", List.of(r1, r2)));
    Run r = run("job", "show", job.id().value());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("state     running").contains("rounds    2/3").contains("dense 1 (binary_cross_entropy)").contains("strategy  fedavg")
        .contains("epochs 1, batch 32, sgd lr 0.1, seed 42");
    List<String> table = r.out().lines().dropWhile(l -> !l.startsWith("ROUND")).toList();
    assertThat(table.get(0)).contains("TRAIN LOSS").contains("ACCURACY").contains("LOSS").contains("TIME");
    assertThat(table.get(1)).contains("0.8000").contains("4.0s");
    assertThat(table.get(2)).contains("0.9000").contains("1m15s");

    Run js = run("job", "show", job.id().value(), "--json");
    JsonNode body = JSON.readTree(js.out());
    assertThat(body.at("/job/id").asText()).isEqualTo(job.id().value());
    assertThat(body.at("/rounds/1/failures/0/reason").asText()).isEqualTo("timed out");
  }

  @Test
  void cancelAndDelete() {
    Job job = job(JobState.CANCELLED, 1, Map.of());
    json("POST", "/api/v1/jobs/" + job.id() + "/cancel", job);
    api.on("DELETE", "/api/v1/jobs/" + job.id(), ex -> FakeApi.send(ex, 204, "application/json", new byte[0]));
    Run cancel = run("job", "cancel", job.id().value());
    assertThat(cancel.code()).isZero();
    assertThat(cancel.out()).isEqualTo("job " + job.id() + " cancelled after 1 completed round(s)\n");
    Run delete = run("job", "delete", job.id().value());
    assertThat(delete.code()).isZero();
    assertThat(delete.out()).isEqualTo("deleted job " + job.id() + "\n");

    error("POST", "/api/v1/jobs/" + job.id() + "/cancel", 409, "JOB_FINISHED", "job " + job.id() + " already completed");
    Run again = run("job", "cancel", job.id().value());
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).endsWith("already completed (JOB_FINISHED)\n");
  }

  // ---- watch ----

  private static String sse(JobId id, long seq, String type, String message) {
    return "id: " + seq + "\nevent: " + type + "\ndata: {\"jobId\":\"" + id + "\",\"seq\":" + seq + ",\"type\":\"" + type
        + "\",\"message\":\"" + message + "\",\"at\":\"2026-11-02T10:15:30Z\"}\n\n";
  }

  private void stream(Job job, String... frames) {
    api.on("GET", "/api/v1/jobs/" + job.id() + "/events", ex -> FakeApi.send(ex, 200, "text/event-stream", String.join("", frames)));
  }

  @Test
  void watchShowsProgressAndEndsWithTheFinalMetrics() {
    Job running = job(JobState.RUNNING, 0, Map.of());
    Job done = new Job(running.id(), running.spec(), JobState.COMPLETED, 3, "", T0, T0, T0.plusSeconds(30), Map.of("accuracy", 0.95, "loss", 0.12));
    var current = new AtomicReference<>(running);
    api.on("GET", "/api/v1/jobs/" + running.id(), ex -> FakeApi.send(ex, 200, "application/json", CliJson.pretty(current.getAndSet(done))));
    JobId id = running.id();
    stream(running,
        sse(id, 1, "started", "started on 2 node(s)"),
        ": keep-alive\n\n",
        sse(id, 2, "round_completed", "round 1/3: accuracy 0.800, loss 0.400 (2/2 updates, 200 examples)"),
        sse(id, 3, "node_failed", "round 2: node x fit failed: timed out"),
        sse(id, 4, "round_completed", "round 2/3: accuracy 0.900, loss 0.300 (1/2 updates, 100 examples)"),
        sse(id, 5, "round_completed", "round 3/3: accuracy 0.950, loss 0.120 (2/2 updates, 200 examples)"),
        sse(id, 6, "completed", "completed 3 rounds"));
    Run r = run("job", "watch", id.value());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("job " + id + " completed after 3/3 rounds\n  accuracy  0.9500\n  loss      0.1200\n");
    assertThat(r.err()).contains("3/3").contains("1 node task(s) failed");
  }

  @Test
  void watchOfAFailedJobExits1WithTheReason() throws Exception {
    Job failed = job(JobState.FAILED, 1, Map.of("accuracy", 0.7));
    json("GET", "/api/v1/jobs/" + failed.id(), failed);
    stream(failed, sse(failed.id(), 1, "failed", "round 2 failed"));
    Run r = run("job", "watch", failed.id().value());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).contains("failed after 1/3 rounds").contains("accuracy  0.7000");
    assertThat(r.err()).contains("error: job " + failed.id() + " failed: round 2 failed: 1 of 2 updates arrived (JOB_FAILED)");

    Run js = run("job", "watch", failed.id().value(), "--json");
    assertThat(js.code()).isEqualTo(1);
    assertThat(JSON.readTree(js.out()).get("state").asText()).isEqualTo("failed");
  }

  @Test
  void submitWithWatchFollowsTheJob() {
    json("GET", "/api/v1/datasets", Map.of("items", List.of(heart)));
    Job done = job(JobState.COMPLETED, 3, Map.of("accuracy", 0.9));
    json("POST", "/api/v1/jobs", 201, new Job(done.id(), done.spec(), JobState.QUEUED, 0, "", T0, null, null, Map.of()));
    json("GET", "/api/v1/jobs/" + done.id(), done);
    stream(done, sse(done.id(), 1, "completed", "completed 3 rounds"));
    Run r = run("job", "submit", "--dataset", "heart", "--model", "logistic", "--watch");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith(done.id() + "\n").contains("completed after 3/3 rounds").contains("accuracy  0.9000");
  }

  // ---- model ----

  @Test
  void modelDownloadPrintsThePaths(@TempDir Path dir) throws Exception {
    JobId id = JobId.random();
    var meta = new LinkedHashMap<String, String>();
    meta.put("jobId", id.value());
    meta.put("round", "3");
    meta.put("spec", CliJson.pretty(ModelSpec.logisticRegression()));
    meta.put("inputShape", "[2]");
    var header = new LinkedHashMap<String, Object>();
    header.put("__metadata__", meta);
    header.put("layer0.weight", Map.of("dtype", "F32", "shape", List.of(1, 2), "data_offsets", List.of(0, 8)));
    header.put("layer0.bias", Map.of("dtype", "F32", "shape", List.of(1), "data_offsets", List.of(8, 12)));
    byte[] h = JSON.writeValueAsBytes(header);
    byte[] file = ByteBuffer.allocate(8 + h.length + 12).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).putFloat(1).putFloat(2).putFloat(3).array();
    api.on("GET", "/api/v1/jobs/" + id + "/model", ex -> FakeApi.send(ex, 200, "application/octet-stream", file));

    Path out = dir.resolve("models");
    Run r = run("model", "download", id.value(), "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(out.resolve("model.safetensors") + "\n" + out.resolve("model.json") + "\n");
    assertThat(r.err()).contains("round 3");
    assertThat(Files.readAllBytes(out.resolve("model.safetensors"))).isEqualTo(file);
    assertThat(JSON.readTree(out.resolve("model.json").toFile()).at("/layout/tensors/1/name").asText()).isEqualTo("layer0.bias");

    Run js = run("model", "download", id.value(), "--out", out.toString(), "--json");
    assertThat(JSON.readTree(js.out()).get("weights").asText()).isEqualTo(out.resolve("model.safetensors").toString());
    assertThat(new String(Files.readAllBytes(out.resolve("model.json")), StandardCharsets.UTF_8)).contains("\"round\" : 3");
  }
}
