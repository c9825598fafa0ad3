package dev.fedgrid.gateway.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.UserId;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.core.tensor.TensorCodec;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.state.SqlStateStore;
import dev.fedgrid.proto.fleet.v1.FetchParametersRequest;
import dev.fedgrid.proto.fleet.v1.FleetGrpc;
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
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.ProjectCa;
import dev.fedgrid.security.ResultSigner;
import dev.fedgrid.security.ResultStatement;
import dev.fedgrid.security.TlsMaterial;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6, node identity: over mutual TLS on 127.0.0.1, with a real coordinator on SQLite and
 * certificates from a project CA, two nodes A and B take part in one FedAvg round. Node B, holding
 * its own valid certificate, tries to deliver or fail node A's task, to reuse a signature captured
 * from A on a changed update, and A's update is tampered with on its way; every attempt is refused
 * with its reason, and the round's aggregate is exactly the average of the two genuine updates.
 * The audit trail names the certificate that signed each accepted result.
 */
@Timeout(60)
class SignedResultsTest {
  private static final CoordinatorOptions OPTIONS =
      new CoordinatorOptions(Duration.ofMillis(500), Duration.ofSeconds(20), Duration.ofSeconds(1), Duration.ofMillis(50));
  private static final Principal ANA = new Principal(UserId.random(), "ana", "data-scientist", Set.of(Permission.MAKE_DATA_REQUESTS));

  @TempDir Path tmp;
  private ProjectCa ca;
  private SqlStateStore store;
  private AuditLog audit;
  private Coordinator coordinator;
  private FleetServer server;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void start() {
    ca = ProjectCa.create(tmp.resolve("pki"), ProjectCa.DEFAULT_NAME, ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
    TlsMaterial gateway = TlsMaterial.load(ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw")).directory(), InstantSource.system());
    store = SqlStateStore.sqlite(tmp.resolve("gateway.db"));
    audit = new AuditLog(store.database(), Clock.systemUTC());
    coordinator = new Coordinator(store, audit, Clock.systemUTC(), OPTIONS);
    coordinator.start();
    server = FleetServer.start(coordinator, "127.0.0.1", 0, FleetServerOptions.builder().shutdownTimeout(Duration.ofSeconds(2)).build(), gateway);
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel ch : channels) ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    coordinator.close();
    store.close();
  }

  @Test
  void aNodeCannotActAsAnotherAndTamperedResultsChangeNothing() throws Exception {
    TestNode a = enrol("hospital-a");
    TestNode b = enrol("hospital-b");
    Job job = coordinator.submitJob(ANA, new JobSpec("signed", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(),
        new StrategyConfig.FedAvg(), 1, 2, 30, false));
    Task taskA = a.pullFit();
    Task taskB = b.pullFit();
    byte[] global = a.fetch(taskA);
    Parameters start = TensorCodec.decode(global);
    byte[] updateA = TensorCodec.encode(plus(start, 1f));
    byte[] updateB = TensorCodec.encode(plus(start, 3f));
    UpdateHeader headerA = header(taskA, 8, Map.of("loss", 0.5), updateA);
    UpdateHeader signedA = a.sign(headerA, updateA);

    // B, with its own certificate, id and token, delivers or fails A's task, signed with its own key
    assertRefused(() -> b.push(b.sign(headerA, updateA), updateA), Status.Code.NOT_FOUND, "TASK_NOT_FOUND");
    assertRefused(() -> b.report(taskA, "out of memory", true), Status.Code.NOT_FOUND, "TASK_NOT_FOUND");
    // B presents A's id and token: its certificate gives it away before any message is read
    TestNode bAsA = new TestNode(b.tls, b.channel, a.id, a.token);
    assertRefused(() -> bAsA.push(signedA, updateA), Status.Code.PERMISSION_DENIED, "NODE_IDENTITY_MISMATCH");
    // B replays A's genuine signed update under B's own credentials: not B's task, and not B's signature
    assertRefused(() -> b.push(signedA, updateA), Status.Code.PERMISSION_DENIED, "UPDATE_SIGNATURE_INVALID");
    // B reuses the signature captured from A on its own task's update
    UpdateHeader headerB = header(taskB, 24, Map.of("loss", 0.25), updateB);
    assertRefused(() -> b.push(headerB.toBuilder().setSignature(signedA.getSignature()).build(), updateB),
        Status.Code.PERMISSION_DENIED, "UPDATE_SIGNATURE_INVALID");

    // A's captured signature on a changed update: other parameters, examples, metrics or ids
    ByteString stolen = signedA.getSignature();
    byte[] otherParameters = TensorCodec.encode(plus(start, 100f));
    assertRefused(() -> a.push(header(taskA, 8, Map.of("loss", 0.5), otherParameters).toBuilder().setSignature(stolen).build(), otherParameters),
        Status.Code.PERMISSION_DENIED, "UPDATE_SIGNATURE_INVALID");
    assertRefused(() -> a.push(signedA.toBuilder().setExamples(9).build(), updateA), Status.Code.PERMISSION_DENIED, "UPDATE_SIGNATURE_INVALID");
    assertRefused(() -> a.push(signedA.toBuilder().setCpuTimeUs(signedA.getCpuTimeUs() + 1).build(), updateA), Status.Code.PERMISSION_DENIED, "UPDATE_SIGNATURE_INVALID");
    assertRefused(() -> a.push(signedA.toBuilder().putMetrics("loss", 0.01).build(), updateA), Status.Code.PERMISSION_DENIED, "UPDATE_SIGNATURE_INVALID");
    assertRefused(() -> a.push(signedA.toBuilder().putMetrics("accuracy", 0.99).build(), updateA), Status.Code.PERMISSION_DENIED, "UPDATE_SIGNATURE_INVALID");
    assertRefused(() -> a.push(signedA.toBuilder().setRound(2).build(), updateA), Status.Code.PERMISSION_DENIED, "UPDATE_SIGNATURE_INVALID");
    // one flipped byte in a parameter chunk on the way
    byte[] tampered = updateA.clone();
    tampered[tampered.length - 1] ^= 0x01;
    var e = assertRefused(() -> a.push(signedA, tampered), Status.Code.PERMISSION_DENIED, "UPDATE_SIGNATURE_INVALID");
    assertThat(e.getStatus().getDescription())
        .contains("is not signed by the certificate '" + a.subject() + "' (serial " + a.serial() + ")")
        .contains("changed after signing").contains("nothing was stored");
    // no signature at all, and a garbage one
    assertRefused(() -> a.push(headerA, updateA), Status.Code.PERMISSION_DENIED, "UPDATE_SIGNATURE_MISSING");
    assertRefused(() -> a.push(headerA.toBuilder().setSignature(ByteString.copyFromUtf8("not a signature")).build(), updateA),
        Status.Code.PERMISSION_DENIED, "UPDATE_SIGNATURE_INVALID");
    assertRefused(() -> a.push(headerA.toBuilder().setSignature(ByteString.copyFrom(new byte[ResultSigner.MAX_SIGNATURE_BYTES + 1])).build(), updateA),
        Status.Code.INVALID_ARGUMENT, "INVALID_SIGNATURE");
    // failure reports: unsigned, or signed with another reason
    assertRefused(() -> a.report(taskA, "out of memory", false), Status.Code.PERMISSION_DENIED, "FAILURE_SIGNATURE_MISSING");
    assertRefused(() -> a.reportSignedAs(taskA, "out of memory", "dataset missing"), Status.Code.PERMISSION_DENIED, "FAILURE_SIGNATURE_INVALID");

    assertThat(signedEvents()).as("nothing refused reached the audit trail").isEmpty();
    assertThat(coordinator.job(ANA, job.id()).state()).as("the round still waits for both").isEqualTo(JobState.RUNNING);

    // the genuine results are accepted, the round completes, and its aggregate is theirs alone
    a.push(signedA, updateA);
    b.push(b.sign(headerB, updateB), updateB);
    Thread.ofVirtual().start(a::answerEvaluations);
    Thread.ofVirtual().start(b::answerEvaluations);
    Job done = awaitTerminal(job.id());
    assertThat(done.state()).isEqualTo(JobState.COMPLETED);
    float[] model = coordinator.model(ANA, job.id()).parameters().values();
    for (int i = 0; i < model.length; i++) {
      // FedAvg weighted by examples: (8 * 1 + 24 * 3) / 32 = 2.5
      assertThat(model[i]).isCloseTo(start.values()[i] + 2.5f, Offset.offset(1e-5f));
    }

    // the audit trail shows which certificate signed each accepted result
    List<AuditEvent> signed = signedEvents();
    AuditEvent fitA = signed.stream().filter(ev -> ev.target().equals(taskA.getTaskId())).findFirst().orElseThrow();
    assertThat(fitA.actor()).isEqualTo("node:" + a.id);
    assertThat(fitA.details()).containsEntry("kind", "fit").containsEntry("job", job.id().value()).containsEntry("round", "1")
        .containsEntry("certificateSerial", a.serial()).containsEntry("certificateSubject", a.subject());
    byte[] signature = java.util.Base64.getDecoder().decode(fitA.details().get("signature"));
    var statement = new ResultStatement.Update(taskA.getTaskId(), taskA.getJobId(), 1, "fit", 8, 0, Map.of("loss", 0.5), ResultStatement.sha256(updateA));
    assertThat(ResultSigner.verify(a.tls.certificate(), statement, signature)).as("anyone holding A's certificate can re-check it").isTrue();
    assertThat(signed).filteredOn(ev -> ev.target().equals(taskB.getTaskId())).singleElement()
        .satisfies(ev -> assertThat(ev.details()).containsEntry("certificateSerial", b.serial()));
    assertThat(signed).filteredOn(ev -> ev.details().get("kind").equals("evaluate")).hasSize(2);
    assertThat(audit.verify().intact()).isTrue();
  }

  @Test
  void aSignedFailureReportIsAcceptedAndAudited() throws Exception {
    TestNode a = enrol("hospital-a");
    TestNode b = enrol("hospital-b");
    coordinator.submitJob(ANA, new JobSpec("fails", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(),
        new StrategyConfig.FedAvg(), 1, 2, 30, false));
    Task taskA = a.pullFit();
    b.pullFit();

    a.report(taskA, "dataset cancer could not be read", true);

    assertThat(signedEvents()).singleElement().satisfies(ev -> {
      assertThat(ev.target()).isEqualTo(taskA.getTaskId());
      assertThat(ev.details()).containsEntry("kind", "failure").containsEntry("certificateSerial", a.serial());
    });
  }

  // ---------------------------------------------------------------- helpers

  private List<AuditEvent> signedEvents() {
    return audit.events(AuditQuery.all(1000)).stream().filter(ev -> ev.action().equals("task.result.signed")).toList();
  }

  private Job awaitTerminal(JobId id) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      Job job = coordinator.job(ANA, id);
      if (job.state().isTerminal()) return job;
      Thread.sleep(20);
    }
    throw new AssertionError("job " + id + " did not finish: " + coordinator.job(ANA, id));
  }

  private static Parameters plus(Parameters p, float step) {
    float[] v = p.values().clone();
    for (int i = 0; i < v.length; i++) v[i] += step;
    return new Parameters(p.layout(), v);
  }

  private static UpdateHeader header(Task task, long examples, Map<String, Double> metrics, byte[] parameters) {
    return UpdateHeader.newBuilder().setTaskId(task.getTaskId()).setJobId(task.getJobId()).setRound(task.getRound()).setKind(task.getKind())
        .setExamples(examples).putAllMetrics(metrics).setTotalSize(parameters.length).build();
  }

  private static StatusRuntimeException assertRefused(Runnable call, Status.Code status, String code) {
    var e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("refused with " + code).isNotNull();
    assertThat(e.getTrailers().get(FleetErrors.CODE_KEY)).as(e.getStatus().toString()).isEqualTo(code);
    assertThat(e.getStatus().getCode()).isEqualTo(status);
    return e;
  }

  /** Enrols a node over mutual TLS with its own certificate and a join token, as `fedgrid node start` does. */
  private TestNode enrol(String name) throws Exception {
    TlsMaterial tls = TlsMaterial.load(ca.issue(IssueRequest.of(CertificateRole.NODE, name)).directory(), InstantSource.system());
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
        .sslContext(GrpcSslContexts.forClient().keyManager(tls.privateKey(), tls.chain().toArray(X509Certificate[]::new)).trustManager(tls.trustManager()).build())
        .build();
    channels.add(ch);
    Principal ops = new Principal(UserId.random(), "ops", "administrator", Set.of(Permission.MANAGE_INFRASTRUCTURE));
    String joinToken = new JoinTokens(store.database(), audit, Clock.systemUTC()).issue(ops, Optional.of(name), Duration.ofHours(1)).token();
    RegisterResponse r = FleetGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS).register(RegisterRequest.newBuilder()
        .setName(name).setCores(1).setMemoryMib(1024).setVersion("test").setJoinToken(joinToken)
        .addDatasetMetadataJson(FleetMessages.toJson(FleetServerTest.metadata())).build());
    return new TestNode(tls, ch, r.getNodeId(), r.getNodeToken());
  }

  /** A node's side of the fleet API, by hand, so that the test can send what a real node never would. */
  private record TestNode(TlsMaterial tls, ManagedChannel channel, String id, String token) {
    String serial() {
      return tls.certificate().getSerialNumber().toString(16);
    }

    String subject() {
      return tls.certificate().getSubjectX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253);
    }

    FleetGrpc.FleetBlockingStub blocking() {
      return FleetGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(credentials()))
          .withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    Metadata credentials() {
      var headers = new Metadata();
      headers.put(AuthInterceptor.NODE_ID_KEY, id);
      headers.put(AuthInterceptor.NODE_TOKEN_KEY, token);
      return headers;
    }

    Optional<Task> pull() {
      PullTaskResponse r = blocking().pullTask(PullTaskRequest.newBuilder().setNodeId(id).setWaitMs(1000).build());
      return r.hasTask() ? Optional.of(r.getTask()) : Optional.empty();
    }

    Task pullFit() {
      for (int i = 0; i < 20; i++) {
        Optional<Task> t = pull();
        if (t.isPresent()) {
          assertThat(t.get().getKind()).isEqualTo(dev.fedgrid.proto.fleet.v1.TaskKind.TASK_KIND_FIT);
          return t.get();
        }
      }
      throw new AssertionError("node " + id + " got no task");
    }

    byte[] fetch(Task task) {
      var out = new java.io.ByteArrayOutputStream();
      blocking().fetchParameters(FetchParametersRequest.newBuilder().setTaskId(task.getTaskId()).setJobId(task.getJobId()).setRound(task.getRound()).build())
          .forEachRemaining((ParameterChunk c) -> out.writeBytes(c.getData().toByteArray()));
      return out.toByteArray();
    }

    UpdateHeader sign(UpdateHeader header, byte[] parameters) {
      String kind = header.getKind() == dev.fedgrid.proto.fleet.v1.TaskKind.TASK_KIND_FIT ? "fit" : "evaluate";
      var statement = new ResultStatement.Update(header.getTaskId(), header.getJobId(), header.getRound(), kind, header.getExamples(),
          header.getCpuTimeUs(), header.getMetricsMap(), ResultStatement.sha256(parameters));
      return header.toBuilder().setSignature(ByteString.copyFrom(ResultSigner.of(tls).sign(statement))).build();
    }

    void push(UpdateHeader header, byte[] parameters) {
      var result = new CompletableFuture<PushUpdateResponse>();
      StreamObserver<PushUpdateRequest> requests = FleetGrpc.newStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(credentials())).withDeadlineAfter(5, TimeUnit.SECONDS)
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
      requests.onNext(PushUpdateRequest.newBuilder().setHeader(header).build());
      if (parameters.length > 0) {
        requests.onNext(PushUpdateRequest.newBuilder()
            .setChunk(UpdateChunk.newBuilder().setTaskId(header.getTaskId()).setOffset(0).setData(ByteString.copyFrom(parameters))).build());
      }
      requests.onCompleted();
      try {
        result.get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof StatusRuntimeException s) throw s;
        throw new AssertionError(e.getCause());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }

    void report(Task task, String reason, boolean signed) {
      reportSignedAs(task, reason, signed ? reason : null);
    }

    /** Reports {@code reason} with a signature of {@code signedReason} (none when null). */
    void reportSignedAs(Task task, String reason, String signedReason) {
      var request = ReportFailureRequest.newBuilder().setTaskId(task.getTaskId()).setJobId(task.getJobId()).setRound(task.getRound()).setReason(reason);
      if (signedReason != null) {
        var statement = new ResultStatement.Failure(task.getTaskId(), task.getJobId(), task.getRound(), signedReason);
        request.setSignature(ByteString.copyFrom(ResultSigner.of(tls).sign(statement)));
      }
      blocking().reportFailure(request.build());
    }

    /** Answers evaluate tasks with signed results until the channel closes. */
    void answerEvaluations() {
      try {
        while (!channel.isShutdown()) {
          Optional<Task> t = pull();
          if (t.isEmpty() || t.get().getKind() != dev.fedgrid.proto.fleet.v1.TaskKind.TASK_KIND_EVALUATE) continue;
          UpdateHeader h = UpdateHeader.newBuilder().setTaskId(t.get().getTaskId()).setJobId(t.get().getJobId()).setRound(t.get().getRound())
              .setKind(t.get().getKind()).setExamples(2).putMetrics("accuracy", 0.5).setTotalSize(0).build();
          push(sign(h, new byte[0]), new byte[0]);
        }
      } catch (RuntimeException e) {
        // the test is over: the channel was shut down
      }
    }
  }
}
