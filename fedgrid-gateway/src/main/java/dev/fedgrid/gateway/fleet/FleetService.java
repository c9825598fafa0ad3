package dev.fedgrid.gateway.fleet;

import com.google.protobuf.ByteString;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.job.ResourceUsage;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.core.tensor.TensorCodec;
import dev.fedgrid.proto.fleet.v1.FetchParametersRequest;
import dev.fedgrid.proto.fleet.v1.FleetGrpc;
import dev.fedgrid.proto.fleet.v1.HeartbeatRequest;
import dev.fedgrid.proto.fleet.v1.HeartbeatResponse;
import dev.fedgrid.proto.fleet.v1.NoTask;
import dev.fedgrid.proto.fleet.v1.ParameterChunk;
import dev.fedgrid.proto.fleet.v1.PullTaskRequest;
import dev.fedgrid.proto.fleet.v1.PullTaskResponse;
import dev.fedgrid.proto.fleet.v1.PushUpdateRequest;
import dev.fedgrid.proto.fleet.v1.PushUpdateResponse;
import dev.fedgrid.proto.fleet.v1.RegisterRequest;
import dev.fedgrid.proto.fleet.v1.RegisterResponse;
import dev.fedgrid.proto.fleet.v1.ReportFailureRequest;
import dev.fedgrid.proto.fleet.v1.ReportFailureResponse;
import dev.fedgrid.proto.fleet.v1.UpdateChunk;
import dev.fedgrid.proto.fleet.v1.UpdateHeader;
import dev.fedgrid.security.ResultStatement;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet API on the gateway: translates gRPC messages into {@link FleetBackend} calls after
 * validating them, and failures into statuses ({@link FleetErrors}). Calls other than {@code
 * Register} arrive authenticated by {@link AuthInterceptor}, which puts the node id in the
 * context.
 *
 * <p>Parameters stream down in chunks of at most {@link FleetServerOptions#MAX_CHUNK_BYTES},
 * sent only while the transport is ready, so a slow node does not make the gateway buffer a whole
 * model per call. Updates stream up the same way; the receiver checks the header, that chunk
 * offsets are contiguous and add up to the declared size, and refuses a declared size over {@link
 * FleetServerOptions#maxUpdateBytes()} before buffering anything.
 *
 * <p>Over mutual TLS every update and failure report must be signed by the node with its
 * certificate's key ({@link ResultVerification}); the update's parameters are hashed as their
 * chunks arrive, and the signature is checked once the last one has, before anything reaches the
 * backend. The verified signature is then handed to {@link FleetBackend#resultSigned} for the
 * audit trail.
 *
 * <p>Long polls run on their own (virtual) thread inside {@link FleetBackend#pollTask}; they are
 * interrupted when the node cancels the call or when the server begins to shut down, and then
 * answer "no task" at once. Thread-safe.
 */
final class FleetService extends FleetGrpc.FleetImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(FleetService.class);
  /** Time kept back from a poll's deadline so the "no task" answer arrives before it. */
  private static final long POLL_DEADLINE_MARGIN_MS = 250;

  private final FleetBackend backend;
  private final FleetServerOptions options;
  private final Set<PollGuard> polls = ConcurrentHashMap.newKeySet();
  private final SecAggCalls secAgg;
  private volatile boolean closing;

  FleetService(FleetBackend backend, FleetServerOptions options) {
    this.backend = backend;
    this.options = options;
    this.secAgg = new SecAggCalls(backend, options, this);
  }

  /** Makes every waiting long poll answer "no task" now, and new ones answer at once. */
  void beginShutdown() {
    closing = true;
    polls.forEach(PollGuard::interrupt);
  }

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterResponse> response) {
    PeerCertificate peer = AuthInterceptor.PEER.get();
    unary("Register", null, response, () -> {
      NodeHello hello = FleetMessages.hello(request);
      if (peer != null) {
        peer.requireRegistersAs(hello.name());
        // a returning node's id must be its own too, or re-registering would rename another node
        hello.nodeId().ifPresent(id -> backend.nodeName(id).ifPresent(name -> peer.requireActsAs(id, name)));
      }
      Registration r = backend.register(hello);
      LOG.info(
          "node {} registered as '{}' with {} dataset(s){}", r.nodeId(), hello.name(), r.datasets().size(),
          hello.nodeId().map(id -> id.equals(r.nodeId()) ? " (known node)" : " (new id; it was " + id + ")").orElse(" (new node)"));
      return FleetMessages.registration(r);
    });
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> response) {
    NodeId node = AuthInterceptor.NODE.get();
    unary("Heartbeat", node, response, () -> {
      checkNode(request.getNodeId(), node);
      backend.heartbeat(node);
      LOG.debug("heartbeat from node {}", node);
      return HeartbeatResponse.newBuilder().setNodeId(node.value()).setServerTimeMs(options.clock().millis()).build();
    });
  }

  @Override
  public void pullTask(PullTaskRequest request, StreamObserver<PullTaskResponse> response) {
    NodeId node = AuthInterceptor.NODE.get();
    unary("PullTask", node, response, () -> {
      checkNode(request.getNodeId(), node);
      if (request.getWaitMs() < 0) {
        throw new InvalidRequestException("INVALID_WAIT", "wait_ms must not be negative, got " + request.getWaitMs());
      }
      long waitMs = Math.min(request.getWaitMs(), options.maxPollWait().toMillis());
      Deadline deadline = Context.current().getDeadline();
      if (deadline != null) {
        waitMs = Math.max(0, Math.min(waitMs, deadline.timeRemaining(TimeUnit.MILLISECONDS) - POLL_DEADLINE_MARGIN_MS));
      }
      Optional<TaskAssignment> task = poll(node, Duration.ofMillis(waitMs));
      if (task.isEmpty()) {
        return PullTaskResponse.newBuilder().setNone(NoTask.newBuilder().setServerTimeMs(options.clock().millis())).build();
      }
      TaskAssignment t = task.get();
      LOG.info("node {} took {} task {} of job {} round {} on dataset {}", node, t.kind(), t.id(), t.job(), t.round(), t.dataset());
      return PullTaskResponse.newBuilder().setTask(FleetMessages.task(t)).build();
    });
  }

  private Optional<TaskAssignment> poll(NodeId node, Duration wait) {
    return longPoll(() -> backend.pollTask(node, wait), Optional.empty(), "task poll of node " + node);
  }

  /** A wait that a long poll may cut short by interrupting it. */
  interface Wait<T> {
    T await() throws InterruptedException;
  }

  /**
   * Runs one long poll's wait so that shutdown and the call's cancellation end it: {@code none}
   * at once while the gateway shuts down, and {@code none} when either interrupts the wait. Every
   * long poll of the fleet port goes through here (tasks, SecAgg+ stages), so none holds shutdown.
   */
  <T> T longPoll(Wait<T> wait, T none, String what) {
    if (closing) return none;
    var guard = new PollGuard();
    Context context = Context.current();
    Context.CancellationListener onCancel = c -> guard.interrupt();
    polls.add(guard);
    context.addListener(onCancel, Runnable::run);
    try {
      if (closing) return none; // shutdown began between the check and the registration
      return wait.await();
    } catch (InterruptedException e) {
      LOG.debug("{} ended early ({})", what, closing ? "gateway shutting down" : "call cancelled");
      return none;
    } finally {
      context.removeListener(onCancel);
      polls.remove(guard);
      guard.finish();
    }
  }

  @Override
  public void fetchParameters(FetchParametersRequest request, StreamObserver<ParameterChunk> response) {
    NodeId node = AuthInterceptor.NODE.get();
    var call = (ServerCallStreamObserver<ParameterChunk>) response;
    byte[] bytes;
    TaskId task;
    try {
      task = TaskId.of(request.getTaskId());
      FleetMessages.checkJobAndRound(request.getJobId(), request.getRound());
      Parameters parameters = backend.taskParameters(node, task);
      bytes = TensorCodec.encode(parameters);
    } catch (RuntimeException e) {
      refuse("FetchParameters", node, e);
      response.onError(FleetErrors.toStatus(e, "FetchParameters"));
      return;
    }
    LOG.debug("streaming {} bytes of parameters for task {} to node {}", bytes.length, task, node);
    TaskId sentFor = task;
    new ChunkSender(task, bytes, call, sent -> backend.parametersSent(node, sentFor, sent)).start();
  }

  @Override
  public StreamObserver<PushUpdateRequest> pushUpdate(StreamObserver<PushUpdateResponse> response) {
    return new UpdateReceiver(AuthInterceptor.NODE.get(), AuthInterceptor.PEER.get(), response);
  }

  @Override
  public void reportFailure(ReportFailureRequest request, StreamObserver<ReportFailureResponse> response) {
    NodeId node = AuthInterceptor.NODE.get();
    PeerCertificate peer = AuthInterceptor.PEER.get();
    unary("ReportFailure", node, response, () -> {
      TaskId task = TaskId.of(request.getTaskId());
      FleetMessages.checkJobAndRound(request.getJobId(), request.getRound());
      String reason = FleetMessages.reason(request.getReason());
      Optional<ResultSignature> signed = ResultVerification.failure(peer, request);
      backend.failTask(node, task, reason);
      signed.ifPresent(sig -> backend.resultSigned(node, task, sig));
      LOG.info("node {} failed task {} of job {} round {}: {}", node, task, orDash(request.getJobId()), request.getRound(), reason);
      return ReportFailureResponse.newBuilder().setTaskId(task.value()).build();
    });
  }

  @Override
  public StreamObserver<dev.fedgrid.proto.fleet.v1.SecAggSubmitRequest> secAggSubmit(StreamObserver<dev.fedgrid.proto.fleet.v1.SecAggSubmitResponse> response) {
    return secAgg.submit(AuthInterceptor.NODE.get(), response);
  }

  @Override
  public void secAggAwait(dev.fedgrid.proto.fleet.v1.SecAggAwaitRequest request, StreamObserver<dev.fedgrid.proto.fleet.v1.SecAggAwaitResponse> response) {
    secAgg.await(AuthInterceptor.NODE.get(), request, response);
  }

  private static <T> void unary(String method, NodeId node, StreamObserver<T> response, Supplier<T> body) {
    T reply;
    try {
      reply = body.get();
    } catch (RuntimeException e) {
      refuse(method, node, e);
      response.onError(FleetErrors.toStatus(e, method));
      return;
    }
    response.onNext(reply);
    response.onCompleted();
  }

  private static void refuse(String method, NodeId node, RuntimeException e) {
    if (e instanceof FedGridException f) {
      LOG.warn("fleet call {} from node {} refused: {}: {}", method, node == null ? "-" : node, f.code(), f.getMessage());
    }
  }

  private static void checkNode(String claimed, NodeId node) {
    if (!claimed.isEmpty() && !claimed.equals(node.value())) {
      throw new InvalidRequestException(
          "NODE_ID_MISMATCH", "the message names node " + FleetMessages.shorten(claimed) + " but the call is authenticated as " + node);
    }
  }

  private static String orDash(String s) {
    return s.isEmpty() ? "-" : s;
  }

  /** Lets a long poll be interrupted exactly while it waits, never after it returned. */
  private static final class PollGuard {
    private final Thread thread = Thread.currentThread();
    private boolean done;

    synchronized void interrupt() {
      if (!done) thread.interrupt();
    }

    synchronized void finish() {
      done = true;
      Thread.interrupted(); // clear an interrupt that raced with the return
    }
  }

  /**
   * Streams encoded parameters in chunks while the transport is ready; resumes from the
   * on-ready callback. Calls are serialized by gRPC and by the monitor.
   */
  private static final class ChunkSender implements Runnable {
    private final TaskId task;
    private final byte[] bytes;
    private final ServerCallStreamObserver<ParameterChunk> call;
    private final java.util.function.LongConsumer metered;
    private int offset;
    private boolean done;

    /** @param metered told once how many bytes were sent, when the stream completes or is cancelled */
    ChunkSender(TaskId task, byte[] bytes, ServerCallStreamObserver<ParameterChunk> call, java.util.function.LongConsumer metered) {
      this.task = task;
      this.bytes = bytes;
      this.call = call;
      this.metered = metered;
    }

    void start() {
      call.setOnCancelHandler(() -> {
        LOG.debug("parameter stream for task {} cancelled by the node", task);
        finish();
      });
      call.setOnReadyHandler(this);
      run();
    }

    @Override
    public synchronized void run() {
      while (!done && call.isReady()) {
        if (call.isCancelled()) {
          finish();
          return;
        }
        int n = Math.min(FleetServerOptions.MAX_CHUNK_BYTES, bytes.length - offset);
        call.onNext(ParameterChunk.newBuilder()
            .setTaskId(task.value())
            .setOffset(offset)
            .setTotalSize(bytes.length)
            .setData(ByteString.copyFrom(bytes, offset, n))
            .build());
        offset += n;
        if (offset == bytes.length) {
          finish();
          call.onCompleted();
        }
      }
    }

    /** Ends the stream once and meters what was sent. */
    private synchronized void finish() {
      if (done) return;
      done = true;
      try {
        metered.accept(offset);
      } catch (RuntimeException e) {
        LOG.warn("could not meter the {} bytes of parameters sent for task {}: {}", offset, task, e.toString());
      }
    }
  }

  /**
   * Receives one pushed update: a header, then contiguous chunks adding up to the declared size.
   * The first bad message fails the call; later messages are ignored. gRPC serializes the calls.
   */
  private final class UpdateReceiver implements StreamObserver<PushUpdateRequest> {
    private final NodeId node;
    private final PeerCertificate peer;
    private final StreamObserver<PushUpdateResponse> response;
    private final MessageDigest parametersSha256 = ResultStatement.sha256();
    private UpdateHeader header;
    private TaskId task;
    private TaskKind kind;
    private Map<String, Double> metrics;
    private List<ByteString> chunks = new ArrayList<>();
    private long received;
    private boolean finished;

    UpdateReceiver(NodeId node, PeerCertificate peer, StreamObserver<PushUpdateResponse> response) {
      this.node = node;
      this.peer = peer;
      this.response = response;
    }

    @Override
    public void onNext(PushUpdateRequest message) {
      if (finished) return;
      try {
        switch (message.getPartCase()) {
          case HEADER -> accept(message.getHeader());
          case CHUNK -> accept(message.getChunk());
          case PART_NOT_SET -> throw new InvalidRequestException("UPDATE_EMPTY_MESSAGE", "every update message carries a header or a chunk");
        }
      } catch (RuntimeException e) {
        fail(e);
      }
    }

    private void accept(UpdateHeader h) {
      if (header != null) {
        throw new InvalidRequestException("UPDATE_HEADER_REPEATED", "an update has exactly one header, sent first");
      }
      TaskId id = TaskId.of(h.getTaskId());
      FleetMessages.checkJobAndRound(h.getJobId(), h.getRound());
      TaskKind k = FleetMessages.kind(h.getKind());
      if (h.getExamples() < 1) {
        throw new InvalidRequestException("INVALID_EXAMPLES", "examples must be at least 1, got " + h.getExamples());
      }
      Map<String, Double> m = FleetMessages.metrics(h.getMetricsMap());
      ResultVerification.checkSize(h.getSignature());
      long total = h.getTotalSize();
      if (k == TaskKind.EVALUATE && total != 0) {
        throw new InvalidRequestException("UNEXPECTED_PARAMETERS", "an evaluate result carries no parameters; send total_size 0 and no chunks");
      }
      if (k == TaskKind.FIT && total < 1) {
        throw new InvalidRequestException("MISSING_PARAMETERS", "a fit result carries the trained parameters; total_size must be positive, got " + total);
      }
      if (h.getCpuTimeUs() < 0) {
        throw new InvalidRequestException("INVALID_CPU_TIME", "cpu_time_us must be 0 or more, got " + h.getCpuTimeUs());
      }
      if (total > options.maxUpdateBytes()) {
        throw new InvalidRequestException(
            "UPDATE_TOO_LARGE",
            "the update declares " + total + " bytes but this gateway accepts at most " + options.maxUpdateBytes()
                + "; use a smaller model or raise the gateway's max update size");
      }
      header = h;
      task = id;
      kind = k;
      metrics = m;
    }

    private void accept(UpdateChunk c) {
      if (header == null) {
        throw new InvalidRequestException("UPDATE_HEADER_MISSING", "the first message of an update must be its header");
      }
      if (!c.getTaskId().equals(task.value())) {
        throw new InvalidRequestException("UPDATE_TASK_MISMATCH", "a chunk names a task other than the header's " + task);
      }
      int size = c.getData().size();
      if (size == 0 || size > FleetServerOptions.MAX_CHUNK_BYTES) {
        throw new InvalidRequestException(
            "INVALID_CHUNK", "a chunk holds 1 to " + FleetServerOptions.MAX_CHUNK_BYTES + " bytes, got " + size);
      }
      if (c.getOffset() != received) {
        throw new InvalidRequestException(
            "UPDATE_OFFSET_MISMATCH", "a chunk starts at offset " + c.getOffset() + " but " + received + " bytes have arrived; chunks must be contiguous");
      }
      if (received + size > header.getTotalSize()) {
        throw new InvalidRequestException(
            "UPDATE_SIZE_MISMATCH", "the chunks exceed the declared total of " + header.getTotalSize() + " bytes");
      }
      chunks.add(c.getData());
      parametersSha256.update(c.getData().asReadOnlyByteBuffer());
      received += size;
    }

    @Override
    public void onError(Throwable t) {
      finished = true;
      chunks = null;
      LOG.debug("node {} abandoned its update for task {}: {}", node, task, t.toString());
    }

    @Override
    public void onCompleted() {
      if (finished) return;
      try {
        if (header == null) {
          throw new InvalidRequestException("UPDATE_HEADER_MISSING", "the update stream ended before its header");
        }
        if (received != header.getTotalSize()) {
          throw new InvalidRequestException(
              "UPDATE_SIZE_MISMATCH", "the update declared " + header.getTotalSize() + " bytes but " + received + " arrived");
        }
        var usage = new ResourceUsage(header.getCpuTimeUs(), received);
        Optional<ResultSignature> signed = ResultVerification.update(peer, header, kind, metrics, parametersSha256.digest());
        if (kind == TaskKind.FIT) {
          Parameters parameters = TensorCodec.decode(ByteString.copyFrom(chunks).toByteArray());
          chunks = null;
          backend.completeFit(node, task, parameters, header.getExamples(), metrics, usage);
        } else {
          backend.completeEvaluation(node, task, header.getExamples(), metrics, usage);
        }
        signed.ifPresent(sig -> backend.resultSigned(node, task, sig));
      } catch (RuntimeException e) {
        fail(e);
        return;
      }
      finished = true;
      LOG.info(
          "node {} delivered {} result for task {} of job {} round {}: {} examples, {} bytes, metrics {}",
          node, kind, task, orDash(header.getJobId()), header.getRound(), header.getExamples(), received, metrics);
      response.onNext(PushUpdateResponse.newBuilder().setTaskId(task.value()).build());
      response.onCompleted();
    }

    private void fail(RuntimeException e) {
      finished = true;
      chunks = null;
      refuse("PushUpdate", node, e);
      response.onError(FleetErrors.toStatus(e, "PushUpdate"));
    }
  }
}
