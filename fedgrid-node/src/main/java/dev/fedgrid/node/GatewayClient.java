package dev.fedgrid.node;

import com.google.protobuf.ByteString;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
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
import dev.fedgrid.proto.fleet.v1.TaskKind;
import dev.fedgrid.proto.fleet.v1.UpdateChunk;
import dev.fedgrid.proto.fleet.v1.UpdateHeader;
import dev.fedgrid.security.ResultSigner;
import dev.fedgrid.security.ResultStatement;
import dev.fedgrid.security.TlsMaterial;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;

/**
 * The node's side of the fleet API: one channel to the gateway, a deadline on every call,
 * credentials attached to every call but {@code Register}, tensors streamed in chunks of at most 1
 * MiB with flow control, failures turned into {@link GatewayException}s, and over TLS every
 * result signed with the key of the node's certificate. Thread-safe.
 */
final class GatewayClient implements AutoCloseable {
  static final int CHUNK_BYTES = 1 << 20;
  static final long MAX_PARAMETER_BYTES = Integer.MAX_VALUE - 8;
  private static final Metadata.Key<String> NODE_ID = Metadata.Key.of("fedgrid-node-id", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> NODE_TOKEN = Metadata.Key.of("fedgrid-node-token", Metadata.ASCII_STRING_MARSHALLER);
  private static final String REGISTER = FleetGrpc.getRegisterMethod().getFullMethodName();
  /** Shortest deadline given to a tensor transfer, even when the task's deadline is closer. */
  private static final Duration MIN_TRANSFER_TIME = Duration.ofSeconds(5);

  private final NodeConfig config;
  private final ManagedChannel channel;
  private final AtomicReference<NodeIdentity> identity = new AtomicReference<>();
  private final FleetGrpc.FleetBlockingStub blocking;
  private final FleetGrpc.FleetStub async;
  private final ClientInterceptor credentials;
  /** Signs results with the certificate's key; null in plaintext, where nothing is signed. */
  private final ResultSigner signer;

  /**
   * @param tls this node's certificate, key and project CA, or null to dial in plaintext
   * @throws InvalidRequestException with code {@code INVALID_TLS_MATERIAL} when TLS cannot be set up
   */
  GatewayClient(NodeConfig config, String version, TlsMaterial tls) {
    this.config = config;
    this.signer = tls == null ? null : ResultSigner.of(tls);
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(config.gatewayHost(), config.gatewayPort());
    if (tls == null) builder.usePlaintext();
    else builder.sslContext(clientContext(tls));
    this.channel = builder
        .userAgent("fedgrid-node/" + version)
        .keepAliveTime(30, TimeUnit.SECONDS) // the gateway permits pings every 10 s or more
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .maxInboundMessageSize(4 << 20)
        .build();
    this.credentials = new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            NodeIdentity id = identity.get();
            if (id != null && !method.getFullMethodName().equals(REGISTER)) {
              headers.put(NODE_ID, id.nodeId().value());
              headers.put(NODE_TOKEN, id.token());
            }
            super.start(listener, headers);
          }
        };
      }
    };
    this.blocking = FleetGrpc.newBlockingStub(channel).withInterceptors(credentials);
    this.async = FleetGrpc.newStub(channel).withInterceptors(credentials);
  }

  /**
   * Client-side mutual TLS: presents the node's certificate, trusts only the project CA (and its
   * revocation list when the directory has one), and checks that the gateway's certificate names
   * the host dialled.
   */
  private static SslContext clientContext(TlsMaterial tls) {
    try {
      return GrpcSslContexts.forClient()
          .keyManager(tls.privateKey(), tls.chain().toArray(X509Certificate[]::new))
          .trustManager(tls.trustManager())
          .build();
    } catch (SSLException | RuntimeException e) {
      throw new InvalidRequestException(
          "INVALID_TLS_MATERIAL", "cannot dial the gateway over TLS with " + tls + ": " + e.getMessage(), Map.of("file", tls.directory().toString()), e);
    }
  }

  /** Presents this identity on every later call. */
  void authenticateAs(NodeIdentity id) {
    identity.set(id);
  }

  /**
   * The channel with this node's id and token on every call, for the other services the gateway
   * serves on the fleet port (the activity API).
   */
  Channel authenticatedChannel() {
    return io.grpc.ClientInterceptors.intercept(channel, credentials);
  }

  /** Lets the channel try to connect now instead of after its own back-off. */
  void resetConnectBackoff() {
    channel.resetConnectBackoff();
  }

  RegisterResponse register(RegisterRequest request) {
    try {
      return blocking.withDeadlineAfter(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS).register(request);
    } catch (StatusRuntimeException e) {
      throw GatewayException.of(e);
    }
  }

  void heartbeat(NodeId node) {
    try {
      blocking.withDeadlineAfter(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .heartbeat(HeartbeatRequest.newBuilder().setNodeId(node.value()).build());
    } catch (StatusRuntimeException e) {
      throw GatewayException.of(e);
    }
  }

  /** Long-polls for a task; empty when none arrived within {@code wait}. */
  Optional<Task> pullTask(NodeId node, Duration wait) {
    try {
      PullTaskResponse r = blocking.withDeadlineAfter(wait.plus(config.callTimeout()).toMillis(), TimeUnit.MILLISECONDS)
          .pullTask(PullTaskRequest.newBuilder().setNodeId(node.value()).setWaitMs(wait.toMillis()).build());
      return r.hasTask() ? Optional.of(r.getTask()) : Optional.empty();
    } catch (StatusRuntimeException e) {
      throw GatewayException.of(e);
    }
  }

  /**
   * Streams a task's starting parameters and checks that the chunks are contiguous, name the task
   * and add up to the announced size.
   */
  byte[] fetchParameters(Task task, Instant deadline) {
    var request = FetchParametersRequest.newBuilder().setTaskId(task.getTaskId()).setJobId(task.getJobId()).setRound(task.getRound()).build();
    Context.CancellableContext context = Context.current().withCancellation();
    Context previous = context.attach();
    try {
      Iterator<ParameterChunk> chunks = blocking.withDeadline(transferDeadline(deadline)).fetchParameters(request);
      byte[] out = null;
      long received = 0;
      while (chunks.hasNext()) {
        ParameterChunk c = chunks.next();
        if (!c.getTaskId().equals(task.getTaskId())) throw GatewayException.protocol("a parameter chunk names task " + c.getTaskId());
        if (out == null) {
          if (c.getTotalSize() < 1 || c.getTotalSize() > MAX_PARAMETER_BYTES) {
            throw GatewayException.protocol("the gateway announced " + c.getTotalSize() + " bytes of parameters");
          }
          out = new byte[(int) c.getTotalSize()];
        } else if (c.getTotalSize() != out.length) {
          throw GatewayException.protocol("the announced parameter size changed mid-stream");
        }
        int size = c.getData().size();
        if (c.getOffset() != received || size == 0 || size > CHUNK_BYTES || received + size > out.length) {
          throw GatewayException.protocol(
              "a parameter chunk of " + size + " bytes at offset " + c.getOffset() + " does not follow the " + received + " bytes received");
        }
        c.getData().copyTo(out, (int) received);
        received += size;
      }
      if (out == null || received != out.length) {
        throw GatewayException.protocol("the parameter stream ended after " + received + " of " + (out == null ? "?" : out.length) + " bytes");
      }
      return out;
    } catch (StatusRuntimeException e) {
      throw GatewayException.of(e);
    } finally {
      context.detach(previous);
      context.cancel(null); // stops the stream if we left it early
    }
  }

  /**
   * Streams an update: the header, then {@code bytes} in chunks, sending only while the transport
   * is ready so that a multi-megabyte model is not buffered twice. Over TLS the header carries the
   * node's signature of the result (ids, kind, examples, metrics and the SHA-256 of {@code bytes}).
   *
   * @throws InterruptedException when the node shuts down meanwhile; the call is cancelled
   */
  void pushUpdate(UpdateHeader unsigned, byte[] bytes, Instant deadline) throws InterruptedException {
    UpdateHeader header = signed(unsigned, bytes);
    var upload = new Upload();
    async.withDeadline(transferDeadline(deadline)).pushUpdate(upload);
    try {
      if (upload.send(PushUpdateRequest.newBuilder().setHeader(header).build())) {
        for (int offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
          int n = Math.min(CHUNK_BYTES, bytes.length - offset);
          var chunk = UpdateChunk.newBuilder().setTaskId(header.getTaskId()).setOffset(offset).setData(ByteString.copyFrom(bytes, offset, n));
          if (!upload.send(PushUpdateRequest.newBuilder().setChunk(chunk).build())) break;
        }
      }
      upload.requests.onCompleted();
      upload.result.get();
    } catch (InterruptedException e) {
      upload.requests.cancel("the node is shutting down", null);
      throw e;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) throw GatewayException.of(s);
      throw GatewayException.protocol("the update failed: " + e.getCause());
    }
  }

  /** Reports a failed task; over TLS the report carries the node's signature of it. */
  void reportFailure(Task task, String reason, Duration timeout) {
    var request = ReportFailureRequest.newBuilder().setTaskId(task.getTaskId()).setJobId(task.getJobId()).setRound(task.getRound()).setReason(reason);
    if (signer != null) {
      var statement = new ResultStatement.Failure(task.getTaskId(), task.getJobId(), task.getRound(), reason);
      request.setSignature(ByteString.copyFrom(signer.sign(statement)));
    }
    try {
      blocking.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).reportFailure(request.build());
    } catch (StatusRuntimeException e) {
      throw GatewayException.of(e);
    }
  }

  /** {@code header} with the node's signature of the result it announces, over TLS; unchanged in plaintext. */
  private UpdateHeader signed(UpdateHeader header, byte[] bytes) {
    if (signer == null) return header;
    String kind = header.getKind() == TaskKind.TASK_KIND_FIT ? ResultStatement.Update.FIT : ResultStatement.Update.EVALUATE;
    var statement = new ResultStatement.Update(
        header.getTaskId(), header.getJobId(), header.getRound(), kind, header.getExamples(), header.getCpuTimeUs(), header.getMetricsMap(), ResultStatement.sha256(bytes));
    return header.toBuilder().setSignature(ByteString.copyFrom(signer.sign(statement))).build();
  }

  /**
   * Sends one SecAgg+ message: the header, then for a masked input its bytes in chunks of at most
   * 1 MiB. The vector of one round is a few MiB at most, so the chunks are handed to gRPC at once
   * rather than paced by flow control.
   */
  void secAggSubmit(dev.fedgrid.proto.fleet.v1.SecAggSubmitHeader header, byte[] masked, Instant deadline) throws InterruptedException {
    var result = new CompletableFuture<Void>();
    var requests = async.withDeadline(transferDeadline(deadline)).secAggSubmit(new io.grpc.stub.StreamObserver<>() {
      @Override
      public void onNext(dev.fedgrid.proto.fleet.v1.SecAggSubmitResponse value) {}

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete(null);
      }
    });
    requests.onNext(dev.fedgrid.proto.fleet.v1.SecAggSubmitRequest.newBuilder().setHeader(header).build());
    for (int offset = 0; masked != null && offset < masked.length; offset += CHUNK_BYTES) {
      int n = Math.min(CHUNK_BYTES, masked.length - offset);
      var chunk = UpdateChunk.newBuilder().setTaskId(header.getTaskId()).setOffset(offset).setData(ByteString.copyFrom(masked, offset, n));
      requests.onNext(dev.fedgrid.proto.fleet.v1.SecAggSubmitRequest.newBuilder().setChunk(chunk).build());
    }
    requests.onCompleted();
    try {
      result.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) throw GatewayException.of(s);
      throw GatewayException.protocol("the SecAgg+ submission failed: " + e.getCause());
    }
  }

  /** Long polls up to {@code wait} for the round's next SecAgg+ message to this node. */
  dev.fedgrid.proto.fleet.v1.SecAggAwaitResponse secAggAwait(String taskId, Duration wait) {
    try {
      return blocking.withDeadlineAfter(wait.plus(config.callTimeout()).toMillis(), TimeUnit.MILLISECONDS)
          .secAggAwait(dev.fedgrid.proto.fleet.v1.SecAggAwaitRequest.newBuilder().setTaskId(taskId).setWaitMs(wait.toMillis()).build());
    } catch (StatusRuntimeException e) {
      throw GatewayException.of(e);
    }
  }

  private Deadline transferDeadline(Instant deadline) {
    long ms = Math.max(MIN_TRANSFER_TIME.toMillis(), Duration.between(config.clock().instant(), deadline).toMillis());
    return Deadline.after(ms, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The response side of one push, and a wait for the transport to accept more. */
  private static final class Upload implements ClientResponseObserver<PushUpdateRequest, PushUpdateResponse> {
    final CompletableFuture<PushUpdateResponse> result = new CompletableFuture<>();
    ClientCallStreamObserver<PushUpdateRequest> requests;
    private final Object ready = new Object();

    @Override
    public void beforeStart(ClientCallStreamObserver<PushUpdateRequest> requests) {
      this.requests = requests;
      requests.setOnReadyHandler(this::signal);
    }

    /** Sends once the transport is ready; false when the call already ended (the gateway refused). */
    boolean send(PushUpdateRequest message) throws InterruptedException {
      synchronized (ready) {
        while (!requests.isReady() && !result.isDone()) ready.wait(100);
      }
      if (result.isDone()) return false;
      requests.onNext(message);
      return true;
    }

    private void signal() {
      synchronized (ready) {
        ready.notifyAll();
      }
    }

    @Override
    public void onNext(PushUpdateResponse value) {
      result.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
      signal();
    }

    @Override
    public void onCompleted() {
      result.complete(PushUpdateResponse.getDefaultInstance());
      signal();
    }
  }
}
