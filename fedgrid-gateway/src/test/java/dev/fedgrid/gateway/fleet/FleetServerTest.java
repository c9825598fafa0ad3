package dev.fedgrid.gateway.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.model.Loss;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.core.tensor.TensorCodec;
import dev.fedgrid.proto.fleet.v1.FetchParametersRequest;
import dev.fedgrid.proto.fleet.v1.FleetGrpc;
import dev.fedgrid.proto.fleet.v1.HeartbeatRequest;
import dev.fedgrid.proto.fleet.v1.ParameterChunk;
import dev.fedgrid.proto.fleet.v1.PullTaskRequest;
import dev.fedgrid.proto.fleet.v1.PullTaskResponse;
import dev.fedgrid.proto.fleet.v1.PushUpdateRequest;
import dev.fedgrid.proto.fleet.v1.PushUpdateResponse;
import dev.fedgrid.proto.fleet.v1.RegisterRequest;
import dev.fedgrid.proto.fleet.v1.RegisterResponse;
import dev.fedgrid.proto.fleet.v1.ReportFailureRequest;
import dev.fedgrid.proto.fleet.v1.Task;
import dev.fedgrid.proto.fleet.v1.UpdateChunk;
import dev.fedgrid.proto.fleet.v1.UpdateHeader;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The fleet API over real sockets on 127.0.0.1, against a backend that records calls. */
@Timeout(30)
class FleetServerTest {
  private static final int MIB = 1 << 20;

  private RecordingBackend backend;
  private FleetServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    backend = new RecordingBackend();
    server = FleetServer.start(backend, "127.0.0.1", 0, FleetServerOptions.builder().maxUpdateBytes(64L * MIB).build());
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  // ---------------------------------------------------------------- registration and authentication

  @Test
  void registersANodeWithItsDatasetMetadata() {
    RegisterResponse r = register();

    assertThat(r.getNodeId()).startsWith("node_");
    assertThat(r.getNodeToken()).isEqualTo(RecordingBackend.TOKEN);
    assertThat(r.getHeartbeatIntervalMs()).isEqualTo(500);
    assertThat(r.getDatasetsList()).singleElement().satisfies(d -> {
      assertThat(d.getName()).isEqualTo("cancer");
      assertThat(DatasetId.of(d.getDatasetId())).isNotNull();
    });
    NodeHello hello = backend.hellos.getFirst();
    assertThat(hello.name()).isEqualTo("node-a");
    assertThat(hello.nodeId()).isEmpty();
    assertThat(hello.datasets()).containsExactly(metadata());
  }

  @Test
  void reRegistrationWithTheEarlierIdentityKeepsTheId() {
    RegisterResponse first = register();
    RegisterResponse again = blocking().register(registerRequest().setNodeId(first.getNodeId()).setNodeToken(first.getNodeToken()).build());

    assertThat(again.getNodeId()).isEqualTo(first.getNodeId());
    assertThat(again.getDatasets(0).getDatasetId()).isEqualTo(first.getDatasets(0).getDatasetId());
  }

  @Test
  void refusesMalformedRegistrationsBeforeTheBackend() {
    assertRefused(() -> blocking().register(registerRequest().addDatasetMetadataJson("{not json").build()), Status.Code.INVALID_ARGUMENT, "INVALID_JSON");
    assertRefused(
        () -> blocking().register(registerRequest().addDatasetMetadataJson(FleetMessages.toJson(metadata()).replace("\"cancer\"", "\"Bad Name!\"")).build()),
        Status.Code.INVALID_ARGUMENT, "INVALID_DATASET");
    assertRefused(() -> blocking().register(registerRequest().setNodeId("node_nope").build()), Status.Code.INVALID_ARGUMENT, "INVALID_REGISTRATION");
    assertRefused(() -> blocking().register(registerRequest().setName("").build()), Status.Code.INVALID_ARGUMENT, "INVALID_FIELD");
    assertThat(backend.hellos).isEmpty();
  }

  @Test
  void refusesCallsWithAWrongTokenOrNoCredentials() {
    RegisterResponse r = register();
    var wrong = FleetGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(r.getNodeId(), "tok_wrong")));

    StatusRuntimeException e = assertRefused(() -> wrong.heartbeat(HeartbeatRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED, "NODE_UNKNOWN");
    assertThat(e.getStatus().getDescription()).doesNotContain("tok_");
    assertRefused(() -> blocking().heartbeat(HeartbeatRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED, "NODE_CREDENTIALS_MISSING");
    assertThat(backend.heartbeats).hasValue(0);

    authed(r).heartbeat(HeartbeatRequest.newBuilder().setNodeId(r.getNodeId()).build());
    assertThat(backend.heartbeats).hasValue(1);
  }

  @Test
  void refusesAMessageNamingAnotherNode() {
    RegisterResponse r = register();
    assertRefused(
        () -> authed(r).heartbeat(HeartbeatRequest.newBuilder().setNodeId(NodeId.random().value()).build()),
        Status.Code.INVALID_ARGUMENT, "NODE_ID_MISMATCH");
  }

  // ---------------------------------------------------------------- long polls

  @Test
  void pullTaskReturnsAWaitingTaskWithEveryField() {
    RegisterResponse r = register();
    TaskAssignment assignment = assignment(TaskKind.FIT, smallLayout());
    backend.tasks.add(assignment);

    PullTaskResponse response = authed(r).pullTask(PullTaskRequest.newBuilder().setWaitMs(1_000).build());

    assertThat(response.hasTask()).isTrue();
    Task t = response.getTask();
    assertThat(t.getTaskId()).isEqualTo(assignment.id().value());
    assertThat(t.getJobId()).isEqualTo(assignment.job().value());
    assertThat(t.getRound()).isEqualTo(3);
    assertThat(t.getKind()).isEqualTo(dev.fedgrid.proto.fleet.v1.TaskKind.TASK_KIND_FIT);
    assertThat(t.getDatasetId()).isEqualTo(assignment.dataset().value());
    assertThat(FleetMessages.fromJson(t.getModelSpecJson(), ModelSpec.class, "m")).isEqualTo(assignment.model());
    assertThat(FleetMessages.fromJson(t.getTrainingConfigJson(), TrainingConfig.class, "t")).isEqualTo(assignment.training());
    assertThat(FleetMessages.fromJson(t.getFeatureScalingJson(), FeatureScaling.class, "s")).isEqualTo(assignment.scaling());
    assertThat(FleetMessages.fromJson(t.getParameterLayoutJson(), ParameterLayout.class, "l")).isEqualTo(assignment.layout());
    assertThat(t.getProximalMu()).isEqualTo(0.01);
    assertThat(t.getDeadlineEpochMs()).isEqualTo(assignment.deadline().toEpochMilli());
  }

  @Test
  void pullTaskAnswersNoneAfterTheWait() {
    RegisterResponse r = register();
    long start = System.nanoTime();
    PullTaskResponse response = authed(r).pullTask(PullTaskRequest.newBuilder().setWaitMs(300).build());
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;

    assertThat(response.hasNone()).isTrue();
    assertThat(elapsedMs).isBetween(250L, 5_000L);
  }

  @Test
  void pullTaskWakesWhenATaskArrivesDuringTheWait() throws Exception {
    RegisterResponse r = register();
    TaskAssignment assignment = assignment(TaskKind.EVALUATE, smallLayout());
    CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS).execute(() -> backend.tasks.add(assignment));

    PullTaskResponse response = authed(r).pullTask(PullTaskRequest.newBuilder().setWaitMs(10_000).build());

    assertThat(response.getTask().getTaskId()).isEqualTo(assignment.id().value());
  }

  @Test
  void pullTaskAnswersPromptlyWhenTheServerShutsDown() throws Exception {
    RegisterResponse r = register();
    var stub = authed(r);
    CompletableFuture<PullTaskResponse> poll = CompletableFuture.supplyAsync(() -> stub.pullTask(PullTaskRequest.newBuilder().setWaitMs(30_000).build()));
    while (backend.polls.get() == 0) Thread.sleep(10);

    long start = System.nanoTime();
    server.close();
    PullTaskResponse response = poll.get(5, TimeUnit.SECONDS);
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;

    assertThat(response.hasNone()).isTrue();
    assertThat(elapsedMs).isLessThan(2_000);
  }

  @Test
  void pullTaskRefusesANegativeWait() {
    RegisterResponse r = register();
    assertRefused(() -> authed(r).pullTask(PullTaskRequest.newBuilder().setWaitMs(-1).build()), Status.Code.INVALID_ARGUMENT, "INVALID_WAIT");
  }

  // ---------------------------------------------------------------- parameters down

  @Test
  void streamsParametersInChunksOfAtMostOneMibAndTheyReassembleBitwise() {
    RegisterResponse r = register();
    Parameters parameters = bigParameters();
    TaskId task = TaskId.random();
    backend.parameters.put(task, parameters);
    byte[] expected = TensorCodec.encode(parameters);
    assertThat(expected.length).isGreaterThan(3 * MIB);

    var chunks = new ArrayList<ParameterChunk>();
    Iterator<ParameterChunk> it = authed(r).fetchParameters(FetchParametersRequest.newBuilder().setTaskId(task.value()).build());
    it.forEachRemaining(chunks::add);

    assertThat(chunks).hasSize((expected.length + MIB - 1) / MIB);
    ByteString all = ByteString.EMPTY;
    for (ParameterChunk c : chunks) {
      assertThat(c.getTaskId()).isEqualTo(task.value());
      assertThat(c.getTotalSize()).isEqualTo(expected.length);
      assertThat(c.getOffset()).isEqualTo(all.size());
      assertThat(c.getData().size()).isBetween(1, MIB);
      all = all.concat(c.getData());
    }
    assertThat(all.toByteArray()).isEqualTo(expected);
    assertThat(TensorCodec.encode(TensorCodec.decode(all.toByteArray()))).isEqualTo(expected);
    assertThat(backend.sent).as("bytes metered as moved for the task").containsEntry(task, (long) expected.length);
  }

  @Test
  void fetchingAnUnknownTaskIsNotFound() {
    RegisterResponse r = register();
    assertRefused(
        () -> authed(r).fetchParameters(FetchParametersRequest.newBuilder().setTaskId(TaskId.random().value()).build()).hasNext(),
        Status.Code.NOT_FOUND, "TASK_NOT_FOUND");
    assertRefused(
        () -> authed(r).fetchParameters(FetchParametersRequest.newBuilder().setTaskId("task_../../etc").build()).hasNext(),
        Status.Code.INVALID_ARGUMENT, "INVALID_ID");
  }

  // ---------------------------------------------------------------- updates up

  @Test
  void pushedFitUpdateArrivesBitwiseEqual() throws Exception {
    RegisterResponse r = register();
    Parameters parameters = bigParameters();
    byte[] bytes = TensorCodec.encode(parameters);
    TaskId task = TaskId.random();

    UpdateHeader header = fitHeader(task, bytes.length, Map.of("loss", 0.25, "accuracy", 0.9)).toBuilder().setCpuTimeUs(2_500_000).build();
    PushUpdateResponse response = push(r, chunked(header, task, bytes, MIB));

    assertThat(response.getTaskId()).isEqualTo(task.value());
    RecordingBackend.Fit fit = backend.fits.getFirst();
    assertThat(fit.node().value()).isEqualTo(r.getNodeId());
    assertThat(fit.task()).isEqualTo(task);
    assertThat(fit.examples()).isEqualTo(120);
    assertThat(fit.metrics()).isEqualTo(Map.of("loss", 0.25, "accuracy", 0.9));
    assertThat(TensorCodec.encode(fit.parameters())).isEqualTo(bytes);
    assertThat(backend.usages).containsEntry(task, new dev.fedgrid.api.job.ResourceUsage(2_500_000, bytes.length));
  }

  @Test
  void aReplayedUpdateIsAlreadyExists() throws Exception {
    RegisterResponse r = register();
    byte[] bytes = TensorCodec.encode(smallParameters());
    TaskId task = TaskId.random();
    push(r, chunked(fitHeader(task, bytes.length, Map.of()), task, bytes, MIB));

    assertPushRefused(r, chunked(fitHeader(task, bytes.length, Map.of()), task, bytes, MIB), Status.Code.ALREADY_EXISTS, "UPDATE_ALREADY_RECEIVED");
    assertThat(backend.fits).hasSize(1);
  }

  @Test
  void pushedEvaluationCarriesOnlyMetrics() throws Exception {
    RegisterResponse r = register();
    TaskId task = TaskId.random();
    UpdateHeader header = UpdateHeader.newBuilder()
        .setTaskId(task.value()).setJobId(JobId.random().value()).setRound(2)
        .setKind(dev.fedgrid.proto.fleet.v1.TaskKind.TASK_KIND_EVALUATE).setExamples(40).putMetrics("accuracy", 0.75).build();

    push(r, List.of(PushUpdateRequest.newBuilder().setHeader(header).build()));

    assertThat(backend.evaluations).singleElement().satisfies(e -> {
      assertThat(e.task()).isEqualTo(task);
      assertThat(e.examples()).isEqualTo(40);
      assertThat(e.metrics()).containsEntry("accuracy", 0.75);
    });
  }

  @Test
  void refusesADeclaredSizeOverTheLimit() throws Exception {
    RegisterResponse r = register();
    TaskId task = TaskId.random();
    byte[] bytes = TensorCodec.encode(smallParameters());
    var messages = new ArrayList<PushUpdateRequest>();
    messages.add(PushUpdateRequest.newBuilder().setHeader(fitHeader(task, 65L * MIB, Map.of())).build());
    messages.addAll(chunked(null, task, bytes, MIB));

    assertPushRefused(r, messages, Status.Code.INVALID_ARGUMENT, "UPDATE_TOO_LARGE");
    assertThat(backend.resultCalls()).isZero();
  }

  @Test
  void refusesNonContiguousChunks() throws Exception {
    RegisterResponse r = register();
    TaskId task = TaskId.random();
    byte[] bytes = TensorCodec.encode(bigParameters());
    List<PushUpdateRequest> messages = new ArrayList<>(chunked(fitHeader(task, bytes.length, Map.of()), task, bytes, MIB));
    PushUpdateRequest second = messages.get(2);
    messages.set(2, second.toBuilder().setChunk(second.getChunk().toBuilder().setOffset(second.getChunk().getOffset() + 4)).build());

    assertPushRefused(r, messages, Status.Code.INVALID_ARGUMENT, "UPDATE_OFFSET_MISMATCH");
    assertThat(backend.resultCalls()).isZero();
  }

  @Test
  void refusesAnUpdateShorterThanDeclared() throws Exception {
    RegisterResponse r = register();
    TaskId task = TaskId.random();
    byte[] bytes = TensorCodec.encode(smallParameters());
    List<PushUpdateRequest> messages = chunked(fitHeader(task, bytes.length + 8, Map.of()), task, bytes, MIB);

    assertPushRefused(r, messages, Status.Code.INVALID_ARGUMENT, "UPDATE_SIZE_MISMATCH");
    assertThat(backend.resultCalls()).isZero();
  }

  @Test
  void refusesMalformedTensorBytes() throws Exception {
    RegisterResponse r = register();
    TaskId task = TaskId.random();
    byte[] garbage = "definitely not tensors".getBytes(StandardCharsets.UTF_8);

    assertPushRefused(r, chunked(fitHeader(task, garbage.length, Map.of()), task, garbage, MIB), Status.Code.INVALID_ARGUMENT, "MALFORMED_TENSORS");
    assertThat(backend.resultCalls()).isZero();
  }

  @Test
  void refusesBadMetricsAndExamples() throws Exception {
    RegisterResponse r = register();
    TaskId task = TaskId.random();
    byte[] bytes = TensorCodec.encode(smallParameters());

    assertPushRefused(r, chunked(fitHeader(task, bytes.length, Map.of("loss", Double.NaN)), task, bytes, MIB), Status.Code.INVALID_ARGUMENT, "INVALID_METRICS");
    assertPushRefused(r, chunked(fitHeader(task, bytes.length, Map.of("loss", Double.POSITIVE_INFINITY)), task, bytes, MIB), Status.Code.INVALID_ARGUMENT, "INVALID_METRICS");
    assertPushRefused(r, chunked(fitHeader(task, bytes.length, Map.of("bad key\n", 1.0)), task, bytes, MIB), Status.Code.INVALID_ARGUMENT, "INVALID_METRICS");
    var many = new java.util.HashMap<String, Double>();
    for (int i = 0; i < 65; i++) many.put("m" + i, 1.0);
    assertPushRefused(r, chunked(fitHeader(task, bytes.length, many), task, bytes, MIB), Status.Code.INVALID_ARGUMENT, "INVALID_METRICS");
    UpdateHeader noExamples = fitHeader(task, bytes.length, Map.of()).toBuilder().setExamples(0).build();
    assertPushRefused(r, chunked(noExamples, task, bytes, MIB), Status.Code.INVALID_ARGUMENT, "INVALID_EXAMPLES");
    assertPushRefused(r, chunked(null, task, bytes, MIB), Status.Code.INVALID_ARGUMENT, "UPDATE_HEADER_MISSING");
    UpdateHeader negativeCpu = fitHeader(task, bytes.length, Map.of()).toBuilder().setCpuTimeUs(-1).build();
    assertPushRefused(r, chunked(negativeCpu, task, bytes, MIB), Status.Code.INVALID_ARGUMENT, "INVALID_CPU_TIME");
    assertThat(backend.resultCalls()).isZero();
  }

  @Test
  void reportsAFailureWithItsReason() {
    RegisterResponse r = register();
    TaskId task = TaskId.random();

    authed(r).reportFailure(ReportFailureRequest.newBuilder().setTaskId(task.value()).setRound(1).setReason("training diverged (NaN loss)").build());

    assertThat(backend.failures).singleElement().satisfies(f -> {
      assertThat(f.task()).isEqualTo(task);
      assertThat(f.reason()).isEqualTo("training diverged (NaN loss)");
    });
    assertRefused(() -> authed(r).reportFailure(ReportFailureRequest.newBuilder().setTaskId(task.value()).build()), Status.Code.INVALID_ARGUMENT, "INVALID_FIELD");
  }

  // ---------------------------------------------------------------- error mapping

  static Stream<Arguments> errors() {
    return Stream.of(
        Arguments.of(new InvalidRequestException("BAD_THING", "bad"), Status.Code.INVALID_ARGUMENT, "BAD_THING"),
        Arguments.of(new NotFoundException("NODE_NOT_FOUND", "gone"), Status.Code.NOT_FOUND, "NODE_NOT_FOUND"),
        Arguments.of(new ConflictException("TASK_CLOSED", "closed"), Status.Code.FAILED_PRECONDITION, "TASK_CLOSED"),
        Arguments.of(new ConflictException("UPDATE_ALREADY_RECEIVED", "twice"), Status.Code.ALREADY_EXISTS, "UPDATE_ALREADY_RECEIVED"),
        Arguments.of(new UnauthenticatedException("NODE_UNKNOWN", "who"), Status.Code.UNAUTHENTICATED, "NODE_UNKNOWN"),
        Arguments.of(new PermissionDeniedException("NOT_ALLOWED", "no"), Status.Code.PERMISSION_DENIED, "NOT_ALLOWED"),
        Arguments.of(new UnavailableException("STORE_DOWN", "later"), Status.Code.UNAVAILABLE, "STORE_DOWN"),
        Arguments.of(new InternalException("BUG", "oops"), Status.Code.INTERNAL, "BUG"),
        Arguments.of(new IllegalStateException("secret internals"), Status.Code.INTERNAL, "INTERNAL_ERROR"));
  }

  @ParameterizedTest
  @MethodSource("errors")
  void mapsBackendFailuresToStatusesWithCodeAndMessage(RuntimeException failure, Status.Code status, String code) {
    RegisterResponse r = register();
    backend.heartbeatFailure = failure;

    StatusRuntimeException e = assertRefused(() -> authed(r).heartbeat(HeartbeatRequest.getDefaultInstance()), status, code);

    Metadata trailers = e.getTrailers();
    String message = new String(trailers.get(FleetErrors.MESSAGE_KEY), StandardCharsets.UTF_8);
    assertThat(e.getStatus().getDescription()).isEqualTo(code + ": " + message);
    if (failure instanceof dev.fedgrid.api.FedGridException) {
      assertThat(message).isEqualTo(failure.getMessage());
    } else {
      assertThat(message).doesNotContain("secret");
    }
  }

  @Test
  void optionsAreCheckedWhenBuilt() {
    assertThatThrownBy(() -> FleetServerOptions.builder().maxUpdateBytes(0).build()).hasMessageContaining("maxUpdateBytes");
    assertThatThrownBy(() -> FleetServerOptions.builder().maxMessageBytes(1024).build()).hasMessageContaining("maxMessageBytes");
    assertThatThrownBy(() -> FleetServerOptions.builder().maxPollWait(Duration.ZERO).build()).hasMessageContaining("maxPollWait");
    assertThat(FleetServerOptions.defaults().maxUpdateBytes()).isEqualTo(512L * MIB);
  }

  @Test
  void bindingAPortInUseSaysSo() {
    UnavailableException e = catchThrowableOfType(
        UnavailableException.class, () -> FleetServer.start(backend, "127.0.0.1", server.port(), FleetServerOptions.defaults()));
    assertThat(e.code()).isEqualTo("FLEET_PORT_UNAVAILABLE");
    assertThat(e.getMessage()).contains("127.0.0.1:" + server.port());
  }

  // ---------------------------------------------------------------- helpers

  private FleetGrpc.FleetBlockingStub blocking() {
    return FleetGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private FleetGrpc.FleetBlockingStub authed(RegisterResponse r) {
    return blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(r.getNodeId(), r.getNodeToken())));
  }

  private static Metadata headers(String node, String token) {
    Metadata m = new Metadata();
    m.put(AuthInterceptor.NODE_ID_KEY, node);
    m.put(AuthInterceptor.NODE_TOKEN_KEY, token);
    return m;
  }

  private RegisterResponse register() {
    return blocking().register(registerRequest().build());
  }

  private static RegisterRequest.Builder registerRequest() {
    return RegisterRequest.newBuilder()
        .setName("node-a").setCores(4).setMemoryMib(8192).setVersion("0.1.0")
        .addDatasetMetadataJson(FleetMessages.toJson(metadata()));
  }

  static DatasetMetadata metadata() {
    return new DatasetMetadata(
        "cancer", DatasetFormat.CSV, List.of(2),
        List.of(new ColumnStats("radius", 30, 14.1, 3.5), new ColumnStats("texture", 30, 19.3, 4.3)),
        LabelInfo.categorical("benign", List.of(12L, 18L)), 30, 6, List.of("health", "oncology"), Visibility.PRIVATE);
  }

  private static ParameterLayout smallLayout() {
    return new ParameterLayout(List.of(TensorSpec.of("layer0.weight", 2, 2), TensorSpec.of("layer0.bias", 2)));
  }

  private static Parameters smallParameters() {
    return new Parameters(smallLayout(), new float[] {1, 2, 3, 4, 5, 6});
  }

  /** About 3.5 MiB of random floats, with signed zeros and subnormals to catch any lossy step. */
  private static Parameters bigParameters() {
    var layout = new ParameterLayout(List.of(TensorSpec.of("layer0.weight", 1024, 900), TensorSpec.of("layer0.bias", 1024)));
    float[] values = new float[layout.size()];
    var random = new Random(7);
    for (int i = 0; i < values.length; i++) values[i] = random.nextFloat() * 2 - 1;
    values[0] = -0.0f;
    values[1] = Float.MIN_VALUE;
    values[2] = Float.MAX_VALUE;
    return new Parameters(layout, values);
  }

  private static TaskAssignment assignment(TaskKind kind, ParameterLayout layout) {
    return new TaskAssignment(
        TaskId.random(), JobId.random(), 3, kind, DatasetId.random(), ModelSpec.mlp(List.of(4), 2, Loss.SOFTMAX_CROSS_ENTROPY),
        new TrainingConfig(2, 16, null, 0.05, null, 7L), 0.01, new FeatureScaling(List.of(1.0, 2.0), List.of(3.0, 4.0)), layout,
        Instant.now().plusSeconds(60).truncatedTo(ChronoUnit.MILLIS));
  }

  private static UpdateHeader fitHeader(TaskId task, long totalSize, Map<String, Double> metrics) {
    return UpdateHeader.newBuilder()
        .setTaskId(task.value()).setJobId(JobId.random().value()).setRound(1)
        .setKind(dev.fedgrid.proto.fleet.v1.TaskKind.TASK_KIND_FIT).setExamples(120).putAllMetrics(metrics).setTotalSize(totalSize).build();
  }

  private static List<PushUpdateRequest> chunked(UpdateHeader header, TaskId task, byte[] bytes, int chunk) {
    var messages = new ArrayList<PushUpdateRequest>();
    if (header != null) messages.add(PushUpdateRequest.newBuilder().setHeader(header).build());
    for (int offset = 0; offset < bytes.length; offset += chunk) {
      int n = Math.min(chunk, bytes.length - offset);
      messages.add(PushUpdateRequest.newBuilder()
          .setChunk(UpdateChunk.newBuilder().setTaskId(task.value()).setOffset(offset).setData(ByteString.copyFrom(bytes, offset, n)))
          .build());
    }
    return messages;
  }

  private PushUpdateResponse push(RegisterResponse r, List<PushUpdateRequest> messages) throws Exception {
    var result = new CompletableFuture<PushUpdateResponse>();
    StreamObserver<PushUpdateRequest> requests = FleetGrpc.newStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(r.getNodeId(), r.getNodeToken())))
        .pushUpdate(new StreamObserver<>() {
          @Override
          public void onNext(PushUpdateResponse value) {
            result.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            result.complete(null);
          }
        });
    for (PushUpdateRequest m : messages) requests.onNext(m);
    requests.onCompleted();
    try {
      return result.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  private void assertPushRefused(RegisterResponse r, List<PushUpdateRequest> messages, Status.Code status, String code) {
    assertRefused(() -> push(r, messages), status, code);
  }

  @FunctionalInterface
  interface Call {
    Object run() throws Exception;
  }

  private static StatusRuntimeException assertRefused(Call call, Status.Code status, String code) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("expected %s %s", status, code).isNotNull();
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(status);
    assertThat(e.getTrailers().get(FleetErrors.CODE_KEY)).isEqualTo(code);
    assertThat(e.getStatus().getDescription()).startsWith(code + ": ");
    return e;
  }
}
