package dev.fedgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.LabelKind;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.Layer;
import dev.fedgrid.api.model.Loss;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.api.node.NodeStatus;
import dev.fedgrid.client.FlakyRelay.Break;
import dev.fedgrid.core.init.Initializers;
import dev.fedgrid.core.io.Safetensors;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK against a real gateway with two real nodes in this JVM (see {@link TestGrid}): every call,
 * its error mapping, paging, the live event stream and the model download. Where the test must see
 * what the client sends, or break an event stream to make it reconnect, a {@link FlakyRelay} sits
 * between the two. Only answers that no FedGrid gateway gives come from a stand-in server.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FedGridClientTest {
  @TempDir static Path dir;
  private static TestGrid grid;
  private static FedGridClient client;
  /** A job that ran two rounds on both nodes. */
  private static Job trained;

  @BeforeAll
  static void start() throws Exception {
    grid = TestGrid.start(dir);
    client = grid.client();
    trained = grid.run(TestGrid.spec("trained", 2, 2));
  }

  @AfterAll
  static void stop() {
    if (grid != null) grid.close();
  }

  /** A job that waits in the queue for good: it needs more nodes than the grid has. */
  private static Job queued(String name) {
    return client.submitJob(TestGrid.spec(name, 1, 3));
  }

  // ---- jobs ----

  @Test
  void submitsAJobThatTheGatewayRunsToTheEnd() throws Exception {
    JobSpec spec = TestGrid.spec("submitted", 1, 2);
    Job job;
    try (var relay = new FlakyRelay(grid, Break.NONE, 0);
        var c = FedGridClient.builder().baseUri(relay.uri()).token(grid.owner().token()).build()) {
      job = c.submitJob(spec);
      assertThat(relay.requests()).singleElement().satisfies(r -> {
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.path()).isEqualTo("/api/v1/jobs");
        assertThat(r.headers()).containsEntry("Content-Type", "application/json").containsEntry("Accept", "application/json")
            .containsEntry("Authorization", "Bearer " + grid.owner().token());
      });
    }
    assertThat(job.state()).isEqualTo(JobState.QUEUED);
    assertThat(job.spec().name()).isEqualTo("submitted");
    // the gateway fixes the job to the datasets the name matched: one per node
    assertThat(job.spec().datasets()).hasSize(2).allMatch(d -> d.startsWith("ds_"));
    assertThat(job.spec().model()).isEqualTo(spec.model());
    assertThat(job.spec().scaling()).as("the pooled statistics the gateway filled in").isNotNull();
    assertThat(job.spec().scaling().mean()).hasSize(30);

    Job done = grid.awaitEnd(job.id());
    assertThat(done.state()).isEqualTo(JobState.COMPLETED);
    assertThat(done.completedRounds()).isEqualTo(1);
    assertThat(done.metrics()).containsOnlyKeys("accuracy", "loss");
  }

  @Test
  void readsJobsSyncAndAsync() throws Exception {
    Job job = client.job(trained.id());
    assertThat(job).isEqualTo(trained);
    assertThat(job.state()).isEqualTo(JobState.COMPLETED);
    assertThat(job.completedRounds()).isEqualTo(2);
    assertThat(job.metrics().get("accuracy")).isCloseTo(0.875, within(1e-9));
    assertThat(client.jobAsync(trained.id()).get(5, TimeUnit.SECONDS)).isEqualTo(job);
  }

  @Test
  void theWireFormatLeavesOutNullsAndIgnoresUnknownFields() throws Exception {
    JsonNode sent = ClientJson.MAPPER.valueToTree(TestGrid.spec("x", 1, 1));
    assertThat(sent.at("/model/layers/0/type").asText()).isEqualTo("dense");
    assertThat(sent.has("scaling")).as("nulls are left out").isFalse();

    String fromANewerGateway = ClientJson.MAPPER.writeValueAsString(trained).replaceFirst("\\{", "{\"addedInAFutureVersion\": {\"x\": 1},");
    assertThat(ClientJson.MAPPER.readValue(fromANewerGateway, Job.class)).isEqualTo(trained);
  }

  @Test
  void pagesThroughJobsNewestFirst() throws Exception {
    var waiting = new ArrayList<JobId>();
    for (int i = 0; i < 3; i++) waiting.add(queued("page " + i).id());

    Page<Job> all = client.jobsAsync(null, null, 0).get(5, TimeUnit.SECONDS);
    assertThat(all.hasNext()).isFalse();
    assertThat(all.next()).isEmpty();
    List<JobId> ids = all.items().stream().map(Job::id).toList();
    assertThat(ids).hasSizeGreaterThanOrEqualTo(4).isSortedAccordingTo(Comparator.reverseOrder()).contains(trained.id());

    var paged = new ArrayList<JobId>();
    String cursor = null;
    do {
      Page<Job> page = client.jobs(List.of(), cursor, 2);
      assertThat(page.items()).hasSizeBetween(1, 2);
      page.items().forEach(j -> paged.add(j.id()));
      cursor = page.nextCursor();
      assertThat(page.hasNext()).isEqualTo(cursor != null);
    } while (cursor != null);
    assertThat(paged).containsExactlyElementsOf(ids);

    Page<Job> queuedOrRunning = client.jobs(List.of(JobState.RUNNING, JobState.QUEUED), null, 500);
    assertThat(queuedOrRunning.items()).extracting(Job::id).containsAll(waiting).doesNotContain(trained.id());
    assertThat(client.jobs(List.of(JobState.COMPLETED), null, 0).items()).extracting(Job::id).contains(trained.id()).doesNotContainAnyElementsOf(waiting);

    // the cursor is sent encoded: the gateway sees all of it, '&' and '=' included
    assertThatThrownBy(() -> client.jobs(null, "a&limit=1", 2))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.code()).isEqualTo("INVALID_CURSOR");
          assertThat(e.getMessage()).contains("cursor 'a&limit=1' was not issued by this API");
          assertThat(e.details()).containsEntry("parameter", "cursor");
        });
  }

  @Test
  void cancelsDeletesAndListsRounds() throws Exception {
    Job waiting = queued("to cancel");
    Job cancelled = client.cancelJob(waiting.id());
    assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
    assertThat(client.rounds(waiting.id())).isEmpty();
    client.deleteJob(waiting.id());
    assertThatThrownBy(() -> client.job(waiting.id())).isInstanceOf(NotFoundException.class);

    List<RoundSummary> rounds = client.rounds(trained.id());
    assertThat(rounds).extracting(RoundSummary::round).containsExactly(1, 2);
    assertThat(rounds).allSatisfy(r -> {
      assertThat(r.jobId()).isEqualTo(trained.id());
      assertThat(r.nodes()).hasSize(2);
      assertThat(r.updates()).isEqualTo(2);
      assertThat(r.failures()).isEmpty();
      assertThat(r.fitMetrics()).containsEntry("loss", 0.5);
      assertThat(r.evalMetrics().get("accuracy")).isCloseTo(0.875, within(1e-9));
      assertThat(r.finishedAt()).isAfterOrEqualTo(r.startedAt());
    });
  }

  @Test
  void readsNodesDatasetsAndHealth() {
    List<NodeInfo> nodes = client.nodes();
    assertThat(nodes).extracting(NodeInfo::name).containsExactlyInAnyOrder("hospital-a", "hospital-b");
    assertThat(nodes).allSatisfy(n -> assertThat(n.status()).isEqualTo(NodeStatus.ONLINE));
    NodeInfo a = nodes.stream().filter(n -> n.name().equals("hospital-a")).findFirst().orElseThrow();
    assertThat(client.node(a.id())).usingRecursiveComparison().ignoringFields("lastSeenAt", "currentJob").isEqualTo(a);

    List<DatasetInfo> datasets = client.datasets(null, null);
    assertThat(datasets).extracting(DatasetInfo::nodeId).containsExactlyInAnyOrderElementsOf(nodes.stream().map(NodeInfo::id).toList());
    assertThat(datasets).allSatisfy(d -> {
      assertThat(d.metadata().name()).isEqualTo(TestGrid.DATASET);
      assertThat(d.metadata().tags()).containsExactly("medical");
      assertThat(d.metadata().featureShape()).containsExactly(30);
      assertThat(d.metadata().label().kind()).isEqualTo(LabelKind.CATEGORICAL);
      assertThat(d.metadata().trainRows() + d.metadata().testRows()).isEqualTo(60);
    });
    assertThat(client.datasets(TestGrid.DATASET, "medical")).containsExactlyInAnyOrderElementsOf(datasets);
    assertThat(client.datasets(null, "")).containsExactlyInAnyOrderElementsOf(datasets);
    assertThat(client.datasets(TestGrid.DATASET, "imaging")).isEmpty();
    assertThat(client.datasets("no such & name=x", null)).as("query values are encoded").isEmpty();
    assertThat(client.dataset(datasets.getFirst().id())).isEqualTo(datasets.getFirst());

    FedGridClient.Health health = client.health();
    assertThat(health.status()).isEqualTo("ok");
    assertThat(health.version()).isNotBlank();
  }

  // ---- errors ----

  @Test
  void errorAnswersBecomeTheMatchingException() {
    JobId id = JobId.random();
    assertThatThrownBy(() -> client.job(id))
        .isInstanceOfSatisfying(NotFoundException.class, e -> {
          assertThat(e.code()).isEqualTo("JOB_NOT_FOUND");
          assertThat(e.getMessage()).isEqualTo("no job has id " + id + "; see `fedgrid job list`");
        });
    assertThatThrownBy(() -> client.jobAsync(id).join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("JOB_NOT_FOUND"));
    assertThatThrownBy(() -> client.node(NodeId.random())).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("NODE_NOT_FOUND"));
    assertThatThrownBy(() -> client.dataset(DatasetId.random())).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("DATASET_NOT_FOUND"));

    assertThatThrownBy(() -> client.cancelJob(trained.id()))
        .isInstanceOf(ConflictException.class)
        .hasMessage("job " + trained.id() + " already completed; only queued or running jobs can be cancelled");
    assertThatThrownBy(() -> client.jobs(List.of(), null, 900))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.code()).isEqualTo("INVALID_QUERY");
          assertThat(e.getMessage()).isEqualTo("limit must be an integer in [1, 500], got '900'");
          assertThat(e.details()).containsEntry("parameter", "limit");
        });

    var tooWide = new ModelSpec(List.of(new Layer.Dense(3)), Loss.BINARY_CROSS_ENTROPY);
    JobSpec misfit = new JobSpec("misfit", List.of(TestGrid.DATASET), tooWide, null, null, 1, 1, 60, null);
    assertThatThrownBy(() -> client.submitJob(misfit)).isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("MODEL_SPEC_MISMATCH"));
    JobSpec elsewhere = new JobSpec("elsewhere", List.of("heart"), ModelSpec.logisticRegression(), null, null, 1, 1, 60, null);
    assertThatThrownBy(() -> client.submitJobAsync(elsewhere).join())
        .cause()
        .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("DATASET_NOT_FOUND"));
  }

  /** Statuses this gateway answers only in situations a test cannot stage (starting up, failing unexpectedly, behind auth). */
  @Test
  void everyErrorStatusHasItsException() {
    assertThat(error(401, "NODE_TOKEN_INVALID")).isInstanceOf(UnauthenticatedException.class);
    assertThat(error(403, "FORBIDDEN")).isInstanceOf(PermissionDeniedException.class);
    assertThat(error(405, "METHOD_NOT_ALLOWED")).isInstanceOf(InvalidRequestException.class);
    assertThat(error(413, "TOO_LARGE")).isInstanceOf(InvalidRequestException.class);
    assertThat(error(503, "STARTING")).isInstanceOf(UnavailableException.class);
    assertThat(error(500, "INTERNAL")).isInstanceOfSatisfying(InternalException.class, e -> {
      assertThat(e.getMessage()).isEqualTo("see the log");
      assertThat(e.details()).containsEntry("errorId", "e1");
    });
  }

  private static FedGridException error(int status, String code) {
    String body = "{\"code\": \"" + code + "\", \"message\": \"see the log\", \"details\": {\"errorId\": \"e1\"}}";
    FedGridException e = Errors.fromResponse(status, body.getBytes(StandardCharsets.UTF_8), "GET", URI.create("http://127.0.0.1:7600/api/v1/health"));
    assertThat(e.code()).isEqualTo(code);
    return e;
  }

  /**
   * Answers no FedGrid gateway gives, from a stand-in that answers every request alike: a proxy's
   * error page, a body that is not JSON, a "model" that is a web page.
   */
  @Test
  void answersThatAreNotFedGridAnswersAreStillExplained(@TempDir Path out) throws Exception {
    try (var proxy = new NotAGateway(502, "text/html", "<html>Bad Gateway</html>");
        var c = FedGridClient.builder().baseUri(proxy.uri()).build()) {
      assertThatThrownBy(c::health)
          .isInstanceOfSatisfying(UnavailableException.class, e -> {
            assertThat(e.code()).isEqualTo("HTTP_502");
            assertThat(e.getMessage()).contains("502").contains("Bad Gateway").contains("FedGrid gateway");
          });
    }
    try (var other = new NotAGateway(200, "application/json", "[not json");
        var c = FedGridClient.builder().baseUri(other.uri()).build()) {
      assertThatThrownBy(c::nodes).isInstanceOfSatisfying(InternalException.class, e -> assertThat(e.code()).isEqualTo("UNEXPECTED_RESPONSE"));
    }
    try (var page = new NotAGateway(200, "application/octet-stream", "<html>");
        var c = FedGridClient.builder().baseUri(page.uri()).build()) {
      assertThatThrownBy(() -> c.downloadModel(trained.id(), out))
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_MODEL_FILE"));
      assertThat(out.toFile().list()).isEmpty();
    }
  }

  /** Answers every request with one fixed answer. */
  private static final class NotAGateway implements AutoCloseable {
    private final HttpServer server;

    NotAGateway(int status, String type, String body) throws IOException {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", ex -> {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream o = ex.getResponseBody()) {
          o.write(bytes);
        }
      });
      server.start();
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  @Test
  void anUnreachableGatewaySaysWhatToDo() throws Exception {
    int port = freePort();
    try (var offline = FedGridClient.builder().baseUri(URI.create("http://127.0.0.1:" + port)).build()) {
      assertThatThrownBy(offline::health)
          .isInstanceOfSatisfying(UnavailableException.class, e -> {
            assertThat(e.code()).isEqualTo("GATEWAY_UNREACHABLE");
            assertThat(e.getMessage()).contains("http://127.0.0.1:" + port).contains("`fedgrid gateway start`");
          });
      assertThatThrownBy(() -> offline.submitJobAsync(TestGrid.spec("x", 1, 1)).join())
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
    try (var c = grid.clientBuilder().baseUri(grid.uri() + "/").token(grid.owner().token()).build()) {
      assertThat(c.health().status()).as("a trailing slash still reaches the API").isEqualTo("ok");
    }
  }

  // ---- model ----

  @Test
  void downloadsTheTrainedModelWithItsDescription(@TempDir Path out) throws Exception {
    ModelDownload d = client.downloadModel(trained.id(), out.resolve("model"));
    assertThat(d.jobId()).isEqualTo(trained.id());
    assertThat(d.round()).isEqualTo(2);
    assertThat(d.weights()).isEqualTo(out.resolve("model/model.safetensors"));
    assertThat(d.sizeBytes()).isEqualTo(Files.size(d.weights()));
    try (var files = Files.list(out.resolve("model"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("model.safetensors", "model.json");
    }

    ModelInfo info = ClientJson.MAPPER.readValue(d.description().toFile(), ModelInfo.class);
    assertThat(info).isEqualTo(client.modelSpec(trained.id()));
    assertThat(info.round()).isEqualTo(2);
    assertThat(info.spec()).isEqualTo(trained.spec().model());
    assertThat(info.inputShape()).containsExactly(30);
    assertThat(info.scaling()).isEqualTo(trained.spec().scaling());
    assertThat(info.layout().tensors()).extracting(t -> t.name()).containsExactly("layer0.weight", "layer0.bias");

    // the weights are the job's: two rounds of +1 from the seeded initial parameters
    Parameters weights = Safetensors.read(Files.readAllBytes(d.weights()));
    assertThat(weights.layout()).isEqualTo(info.layout());
    float[] initial = Initializers.initialize(info.layout(), trained.spec().training().seed()).values();
    for (int i = 0; i < initial.length; i++) assertThat(weights.values()[i]).isCloseTo(initial[i] + 2, within(1e-4f));
  }

  @Test
  void aModelThatIsNotReadyIsAConflictAndWritesNothing(@TempDir Path out) {
    Job waiting = queued("no model yet");
    assertThatThrownBy(() -> client.downloadModel(waiting.id(), out))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("MODEL_NOT_READY"));
    assertThat(out.toFile().list()).isEmpty();
    client.cancelJob(waiting.id());
  }

  // ---- watch ----

  private static List<JobEventView> watch(FedGridClient c, JobId id, long afterSeq) {
    var events = new ArrayList<JobEventView>();
    c.watch(id, afterSeq, events::add);
    return events;
  }

  @Test
  void watchDeliversEveryEventInOrderAndResumesAfterAGivenOne() {
    List<JobEventView> events = watch(client, trained.id(), 0);
    assertThat(events).extracting(JobEventView::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
    assertThat(events).extracting(JobEventView::type)
        .containsExactly("queued", "started", "round_started", "round_completed", "round_started", "round_completed", "completed");
    assertThat(events.get(3).message()).startsWith("round 1/2: accuracy 0.8750, loss 0.2500 (2/2 updates,");
    assertThat(events).allSatisfy(e -> assertThat(e.at()).isNotNull());

    assertThat(watch(client, trained.id(), 3)).containsExactlyElementsOf(events.subList(3, events.size()));
  }

  @Test
  void watchResumesADroppedStreamWithLastEventId() throws Exception {
    List<JobEventView> all = watch(client, trained.id(), 0);
    try (var relay = new FlakyRelay(grid, Break.DROP, 2);
        var c = FedGridClient.builder().baseUri(relay.uri()).token(grid.owner().token()).build()) {
      assertThat(watch(c, trained.id(), 0)).as("nothing lost, nothing twice").containsExactlyElementsOf(all);
      assertThat(relay.streams())
          .extracting(FlakyRelay.Request::query, r -> r.headers().get("Last-Event-ID"), r -> r.headers().get("Accept"))
          .containsExactly(tuple(null, null, "text/event-stream"), tuple("after=2", "2", "text/event-stream"));
    }
  }

  @Test
  void watchReconnectsWhenTheStreamEndsBeforeTheJob() throws Exception {
    Job waiting = queued("watched");
    try (var relay = new FlakyRelay(grid, Break.END, 1);
        var c = FedGridClient.builder().baseUri(relay.uri()).token(grid.owner().token()).build()) {
      CompletableFuture<List<JobEventView>> watching = CompletableFuture.supplyAsync(() -> watch(c, waiting.id(), 0));
      while (relay.streams().size() < 2) {
        assertThat(watching).isNotDone();
        Thread.sleep(20);
      }
      client.cancelJob(waiting.id());
      assertThat(watching.get(10, TimeUnit.SECONDS)).extracting(JobEventView::type).containsExactly("queued", "cancelled");
      assertThat(relay.streams().get(1).headers()).containsEntry("Last-Event-ID", "1");
    }
  }

  @Test
  void watchOfAnUnknownJobFailsAtOnce() throws Exception {
    JobId id = JobId.random();
    try (var relay = new FlakyRelay(grid, Break.NONE, 0);
        var c = FedGridClient.builder().baseUri(relay.uri()).token(grid.owner().token()).build()) {
      assertThatThrownBy(() -> c.watch(id, 0, e -> {})).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("JOB_NOT_FOUND"));
      assertThat(relay.requests()).hasSize(1);
    }
  }

  @Test
  void watchGivesUpAfterItsRetries() throws Exception {
    int port = freePort();
    try (var offline = FedGridClient.builder().baseUri(URI.create("http://127.0.0.1:" + port)).watchRetries(1).build()) {
      assertThatThrownBy(() -> offline.watch(JobId.random(), 0, e -> {}))
          .isInstanceOfSatisfying(UnavailableException.class, e -> assertThat(e.code()).isEqualTo("GATEWAY_UNREACHABLE"));
    }
  }

  /** A port nothing listens on. */
  private static int freePort() throws IOException {
    try (var socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
