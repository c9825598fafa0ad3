package dev.fedgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.api.node.NodeStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FedGridClientTest {
  static final Instant T0 = Instant.parse("2026-11-02T10:15:30Z");

  private FakeApi api;
  private FedGridClient client;

  @BeforeEach
  void start() throws IOException {
    api = new FakeApi();
    client = FedGridClient.builder().baseUri(api.uri() + "/").timeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stop() {
    client.close();
    api.close();
  }

  static Job job(JobState state) {
    JobSpec spec = new JobSpec("heart", List.of("heart"), ModelSpec.logisticRegression(), null, null, 3, 1, null, null);
    return new Job(JobId.random(), spec, state, 1, "", T0, T0, null, Map.of("accuracy", 0.9));
  }

  static String json(Object value) throws IOException {
    return ClientJson.MAPPER.writeValueAsString(value);
  }

  @Test
  void submitsAJob() throws Exception {
    Job job = job(JobState.QUEUED);
    api.json("POST", "/api/v1/jobs", 201, json(job));
    Job answer = client.submitJob(job.spec());
    assertThat(answer).isEqualTo(job);
    FakeApi.Seen sent = api.seen.getFirst();
    assertThat(sent.headers().get("Content-Type")).contains("application/json");
    JsonNode body = ClientJson.MAPPER.readTree(sent.body());
    assertThat(body.get("datasets").get(0).asText()).isEqualTo("heart");
    assertThat(body.at("/model/layers/0/type").asText()).isEqualTo("dense");
    assertThat(body.has("scaling")).as("nulls are left out").isFalse();
  }

  @Test
  void readsJobsAndIgnoresUnknownFields() throws Exception {
    Job job = job(JobState.RUNNING);
    String withExtra = json(job).replaceFirst("\\{", "{\"addedInAFutureVersion\": {\"x\": 1},");
    api.json("GET", "/api/v1/jobs/" + job.id(), 200, withExtra);
    assertThat(client.job(job.id())).isEqualTo(job);
    assertThat(client.jobAsync(job.id()).get(5, TimeUnit.SECONDS)).isEqualTo(job);
  }

  @Test
  void pagesJobs() throws Exception {
    Job a = job(JobState.RUNNING);
    Job b = job(JobState.QUEUED);
    api.json("GET", "/api/v1/jobs", 200, "{\"items\": [" + json(a) + "," + json(b) + "], \"nextCursor\": \"abc-_\"}");
    Page<Job> page = client.jobs(List.of(JobState.RUNNING, JobState.QUEUED), "cur=sor", 2);
    assertThat(page.items()).containsExactly(a, b);
    assertThat(page.hasNext()).isTrue();
    assertThat(page.next()).contains("abc-_");
    assertThat(api.seen.getLast().query()).isEqualTo("state=running,queued&limit=2&cursor=cur%3Dsor");

    api.json("GET", "/api/v1/jobs", 200, "{\"items\": []}");
    Page<Job> last = client.jobsAsync(null, null, 0).get(5, TimeUnit.SECONDS);
    assertThat(last.items()).isEmpty();
    assertThat(last.hasNext()).isFalse();
    assertThat(api.seen.getLast().query()).isNull();
  }

  @Test
  void cancelsDeletesAndListsRounds() throws Exception {
    Job job = job(JobState.CANCELLED);
    api.json("POST", "/api/v1/jobs/" + job.id() + "/cancel", 200, json(job));
    api.on("DELETE", "/api/v1/jobs/" + job.id(), ex -> FakeApi.send(ex, 204, "application/json", new byte[0]));
    api.json("GET", "/api/v1/jobs/" + job.id() + "/rounds", 200,
        "{\"items\": [{\"jobId\": \"" + job.id() + "\", \"round\": 1, \"startedAt\": \"2026-11-02T10:15:30Z\", \"finishedAt\": \"2026-11-02T10:15:35Z\","
            + " \"nodes\": [], \"updates\": 2, \"examples\": 200, \"failures\": [], \"fitMetrics\": {\"loss\": 0.4}, \"evalMetrics\": {\"accuracy\": 0.8}}]}");
    assertThat(client.cancelJob(job.id()).state()).isEqualTo(JobState.CANCELLED);
    client.deleteJob(job.id());
    assertThat(api.seen.get(1).method()).isEqualTo("DELETE");
    var rounds = client.rounds(job.id());
    assertThat(rounds).hasSize(1);
    assertThat(rounds.getFirst().evalMetrics()).containsEntry("accuracy", 0.8);
  }

  @Test
  void readsNodesDatasetsAndHealth() throws Exception {
    var node = new NodeInfo(NodeId.random(), "hospital-a", NodeStatus.ONLINE, 4, 8192, "0.1.0", T0, T0, null);
    var meta = new DatasetMetadata("heart", DatasetFormat.CSV, List.of(13), List.of(), LabelInfo.categorical("target", List.of(50L, 50L)), 100, 20, List.of("medical"), Visibility.PUBLIC);
    var dataset = new DatasetInfo(DatasetId.random(), node.id(), meta, T0);
    api.json("GET", "/api/v1/nodes", 200, "{\"items\": [" + json(node) + "]}");
    api.json("GET", "/api/v1/nodes/" + node.id(), 200, json(node));
    api.json("GET", "/api/v1/datasets", 200, "{\"items\": [" + json(dataset) + "]}");
    api.json("GET", "/api/v1/datasets/" + dataset.id(), 200, json(dataset));
    api.json("GET", "/api/v1/health", 200, "{\"status\": \"ok\", \"version\": \"0.1.0\"}");

    assertThat(client.nodes()).containsExactly(node);
    assertThat(client.node(node.id())).isEqualTo(node);
    assertThat(client.datasets("heart", "medical")).containsExactly(dataset);
    assertThat(api.seen.getLast().query()).isEqualTo("name=heart&tag=medical");
    assertThat(client.datasets(null, "")).containsExactly(dataset);
    assertThat(api.seen.getLast().query()).isNull();
    assertThat(client.dataset(dataset.id())).isEqualTo(dataset);
    assertThat(client.health()).isEqualTo(new FedGridClient.Health("ok", "0.1.0"));
  }

  // ---- errors ----

  @Test
  void errorBodiesBecomeTheMatchingException() throws Exception {
    JobId id = JobId.random();
    api.json("GET", "/api/v1/jobs/" + id, 404, "{\"code\": \"JOB_NOT_FOUND\", \"message\": \"there is no job " + id + "\", \"details\": {\"jobId\": \"" + id + "\"}}");
    assertThatThrownBy(() -> client.job(id))
        .isInstanceOfSatisfying(NotFoundException.class, e -> {
          assertThat(e.code()).isEqualTo("JOB_NOT_FOUND");
          assertThat(e.getMessage()).isEqualTo("there is no job " + id);
          assertThat(e.details()).containsEntry("jobId", id.value());
        });
    assertThatThrownBy(() -> client.jobAsync(id).join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(NotFoundException.class);

    api.json("POST", "/api/v1/jobs/" + id + "/cancel", 409, "{\"code\": \"JOB_FINISHED\", \"message\": \"already completed\", \"details\": {}}");
    assertThatThrownBy(() -> client.cancelJob(id)).isInstanceOf(ConflictException.class).hasMessage("already completed");
    api.json("GET", "/api/v1/jobs", 400, "{\"code\": \"INVALID_QUERY\", \"message\": \"limit must be in [1, 500]\", \"details\": {}}");
    assertThatThrownBy(() -> client.jobs(List.of(), null, 900)).isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_QUERY"));
    api.json("GET", "/api/v1/nodes", 503, "{\"code\": \"STARTING\", \"message\": \"starting\", \"details\": {}}");
    assertThatThrownBy(() -> client.nodes()).isInstanceOf(UnavailableException.class);
    api.json("GET", "/api/v1/health", 500, "{\"code\": \"INTERNAL\", \"message\": \"see log\", \"details\": {\"errorId\": \"e1\"}}");
    assertThatThrownBy(() -> client.health()).isInstanceOfSatisfying(InternalException.class, e -> assertThat(e.details()).containsEntry("errorId", "e1"));
  }

  @Test
  void answersThatAreNotFedGridErrorsAreStillExplained() {
    api.on("GET", "/api/v1/health", ex -> FakeApi.send(ex, 502, "text/html", "<html>Bad Gateway</html>"));
    assertThatThrownBy(() -> client.health())
        .isInstanceOfSatisfying(UnavailableException.class, e -> {
          assertThat(e.code()).isEqualTo("HTTP_502");
          assertThat(e.getMessage()).contains("502").contains("Bad Gateway").contains("FedGrid gateway");
        });
    api.json("GET", "/api/v1/nodes", 200, "[not json");
    assertThatThrownBy(() -> client.nodes()).isInstanceOfSatisfying(InternalException.class, e -> assertThat(e.code()).isEqualTo("UNEXPECTED_RESPONSE"));
  }

  @Test
  void anUnreachableGatewaySaysWhatToDo() throws Exception {
    int port;
    try (var socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try (var offline = FedGridClient.builder().baseUri(URI.create("http://127.0.0.1:" + port)).build()) {
      assertThatThrownBy(offline::health)
          .isInstanceOfSatisfying(UnavailableException.class, e -> {
            assertThat(e.code()).isEqualTo("GATEWAY_UNREACHABLE");
            assertThat(e.getMessage()).contains("http://127.0.0.1:" + port).contains("`fedgrid gateway start`");
          });
      assertThatThrownBy(() -> offline.submitJobAsync(job(JobState.QUEUED).spec()).join())
          .cause()
          .isInstanceOfSatisfying(UnavailableException.class, e -> assertThat(e.code()).isEqualTo("GATEWAY_UNREACHABLE"));
    }
  }

  @Test
  void builderChecksItsOptions() {
    assertThatThrownBy(() -> FedGridClient.builder().baseUri("ftp://x").build()).isInstanceOfSatisfying(FedGridException.class, e -> assertThat(e.code()).isEqualTo("INVALID_GATEWAY_URL"));
    assertThatThrownBy(() -> FedGridClient.builder().baseUri("not a url").build()).isInstanceOfSatisfying(FedGridException.class, e -> assertThat(e.code()).isEqualTo("INVALID_GATEWAY_URL"));
    assertThatThrownBy(() -> FedGridClient.builder().timeout(Duration.ZERO).build()).isInstanceOfSatisfying(FedGridException.class, e -> assertThat(e.code()).isEqualTo("INVALID_TIMEOUT"));
    try (var c = FedGridClient.builder().baseUri("http://example.org:7600///").build()) {
      assertThat(c.baseUri()).isEqualTo(URI.create("http://example.org:7600"));
    }
  }

  // ---- model ----

  @Test
  void downloadsTheModelWithItsDescription(@TempDir Path dir) throws Exception {
    JobId id = JobId.random();
    ModelSpec spec = ModelSpec.logisticRegression();
    var meta = new LinkedHashMap<String, String>();
    meta.put("jobId", id.value());
    meta.put("round", "4");
    meta.put("spec", json(spec));
    meta.put("inputShape", "[3]");
    meta.put("scaling", "{\"mean\":[0.0],\"scale\":[255.0]}");
    byte[] file = safetensors(meta, new float[] {1, 2, 3, 4});
    api.on("GET", "/api/v1/jobs/" + id + "/model", ex -> FakeApi.send(ex, 200, "application/octet-stream", file));

    ModelDownload d = client.downloadModel(id, dir.resolve("out"));
    assertThat(d.round()).isEqualTo(4);
    assertThat(d.weights()).isEqualTo(dir.resolve("out/model.safetensors"));
    assertThat(Files.readAllBytes(d.weights())).isEqualTo(file);
    assertThat(d.sizeBytes()).isEqualTo(file.length);
    ModelInfo info = ClientJson.MAPPER.readValue(d.description().toFile(), ModelInfo.class);
    assertThat(info.spec()).isEqualTo(spec);
    assertThat(info.inputShape()).containsExactly(3);
    assertThat(info.scaling().scale(0)).isEqualTo(255.0);
    assertThat(info.layout().tensors().getFirst().name()).isEqualTo("layer0.weight");
    try (var files = Files.list(dir.resolve("out"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("model.safetensors", "model.json");
    }
  }

  @Test
  void aModelThatIsNotReadyIsAConflictAndWritesNothing(@TempDir Path dir) {
    JobId id = JobId.random();
    api.json("GET", "/api/v1/jobs/" + id + "/model", 409, "{\"code\": \"MODEL_NOT_READY\", \"message\": \"no round yet\", \"details\": {}}");
    assertThatThrownBy(() -> client.downloadModel(id, dir)).isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("MODEL_NOT_READY"));
    assertThat(dir.toFile().list()).isEmpty();
  }

  @Test
  void refusesAFileThatIsNotSafetensors(@TempDir Path dir) {
    JobId id = JobId.random();
    api.on("GET", "/api/v1/jobs/" + id + "/model", ex -> FakeApi.send(ex, 200, "application/octet-stream", "<html>".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> client.downloadModel(id, dir)).isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_MODEL_FILE"));
    assertThat(dir.toFile().list()).isEmpty();
  }

  static byte[] safetensors(Map<String, String> metadata, float[] values) throws IOException {
    var header = new LinkedHashMap<String, Object>();
    header.put("__metadata__", metadata);
    header.put("layer0.weight", Map.of("dtype", "F32", "shape", List.of(1, 3), "data_offsets", List.of(0, 12)));
    header.put("layer0.bias", Map.of("dtype", "F32", "shape", List.of(1), "data_offsets", List.of(12, 16)));
    byte[] h = ClientJson.MAPPER.writeValueAsBytes(header);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + 4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    for (float v : values) b.putFloat(v);
    return b.array();
  }

  // ---- watch ----

  private static String event(JobId id, long seq, String type, String message) {
    return "id: " + seq + "\nevent: " + type + "\ndata: {\"jobId\":\"" + id + "\",\"seq\":" + seq + ",\"type\":\"" + type
        + "\",\"message\":\"" + message + "\",\"at\":\"2026-11-02T10:15:3" + seq + "Z\"}\n\n";
  }

  @Test
  void watchResumesADroppedStreamWithLastEventId() throws Exception {
    Job done = job(JobState.COMPLETED);
    JobId id = done.id();
    AtomicInteger connections = new AtomicInteger();
    api.on("GET", "/api/v1/jobs/" + id + "/events", ex -> {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream");
      if (connections.incrementAndGet() == 1) {
        byte[] part = (": keep-alive\n\n" + event(id, 1, "started", "started") + event(id, 2, "round_completed", "round 1/2")).getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, part.length + 1000L); // promise more than is sent: the drop
        OutputStream out = ex.getResponseBody();
        out.write(part);
        out.flush();
        ex.close();
      } else {
        String last = ex.getRequestHeaders().getFirst("Last-Event-ID");
        long after = Long.parseLong(last);
        var sb = new StringBuilder();
        for (long s = after + 1; s <= 4; s++) sb.append(event(id, s, s == 4 ? "completed" : "round_completed", "event " + s));
        FakeApi.send(ex, 200, "text/event-stream", sb.toString());
      }
    });
    api.json("GET", "/api/v1/jobs/" + id, 200, json(done));

    var events = new ArrayList<JobEventView>();
    client.watch(id, 0, events::add);
    assertThat(events).extracting(JobEventView::seq).containsExactly(1L, 2L, 3L, 4L);
    assertThat(events.getFirst()).isEqualTo(new JobEventView(1, "started", "started", Instant.parse("2026-11-02T10:15:31Z")));
    assertThat(events.getLast().type()).isEqualTo("completed");
    assertThat(connections).hasValue(2);
    List<FakeApi.Seen> streams = api.seen.stream().filter(s -> s.path().endsWith("/events")).toList();
    assertThat(streams.get(0).headers()).doesNotContainKey("Last-Event-ID");
    assertThat(streams.get(1).headers().get("Last-Event-ID")).containsExactly("2");
    assertThat(streams.get(1).query()).isEqualTo("after=2");
  }

  @Test
  void watchReconnectsWhenTheStreamEndsBeforeTheJob() throws Exception {
    Job running = job(JobState.RUNNING);
    JobId id = running.id();
    Job done = new Job(id, running.spec(), JobState.COMPLETED, 3, "", T0, T0, T0, Map.of());
    AtomicInteger connections = new AtomicInteger();
    api.on("GET", "/api/v1/jobs/" + id + "/events", ex -> {
      int n = connections.incrementAndGet();
      FakeApi.send(ex, 200, "text/event-stream", n == 1 ? event(id, 1, "started", "s") : event(id, 2, "completed", "c"));
    });
    api.on("GET", "/api/v1/jobs/" + id, ex -> FakeApi.send(ex, 200, "application/json", json(connections.get() == 1 ? running : done)));
    var events = new ArrayList<JobEventView>();
    client.watch(id, 0, events::add);
    assertThat(events).extracting(JobEventView::type).containsExactly("started", "completed");
  }

  @Test
  void watchOfAnUnknownJobFailsAtOnce() {
    JobId id = JobId.random();
    api.json("GET", "/api/v1/jobs/" + id + "/events", 404, "{\"code\": \"JOB_NOT_FOUND\", \"message\": \"no such job\", \"details\": {}}");
    assertThatThrownBy(() -> client.watch(id, 0, e -> {})).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("JOB_NOT_FOUND"));
    assertThat(api.seen).hasSize(1);
  }

  @Test
  void watchGivesUpAfterItsRetries() throws Exception {
    int port;
    try (var socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try (var offline = FedGridClient.builder().baseUri(URI.create("http://127.0.0.1:" + port)).watchRetries(1).build()) {
      assertThatThrownBy(() -> offline.watch(JobId.random(), 0, e -> {}))
          .isInstanceOfSatisfying(UnavailableException.class, e -> assertThat(e.code()).isEqualTo("GATEWAY_UNREACHABLE"));
    }
  }
}
