package dev.fedgrid.gateway.fleet;

import com.google.protobuf.ByteString;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.market.ActivityCommand;
import dev.fedgrid.market.ActivityCommand.Deploy;
import dev.fedgrid.market.ActivityCommand.Run;
import dev.fedgrid.market.ActivityCommand.Start;
import dev.fedgrid.market.ActivityCommand.Terminate;
import dev.fedgrid.market.ActivityCommand.Transfer;
import dev.fedgrid.proto.activity.v1.ActivitiesGrpc;
import dev.fedgrid.proto.activity.v1.Command;
import dev.fedgrid.proto.activity.v1.Endpoint;
import dev.fedgrid.proto.activity.v1.FetchParametersRequest;
import dev.fedgrid.proto.activity.v1.LogLine;
import dev.fedgrid.proto.activity.v1.ParameterChunk;
import dev.fedgrid.proto.activity.v1.ParameterSource;
import dev.fedgrid.proto.activity.v1.PullScriptRequest;
import dev.fedgrid.proto.activity.v1.PullScriptResponse;
import dev.fedgrid.proto.activity.v1.PushParametersResponse;
import dev.fedgrid.proto.activity.v1.ReportResultRequest;
import dev.fedgrid.proto.activity.v1.ReportResultResponse;
import dev.fedgrid.proto.activity.v1.RunKind;
import dev.fedgrid.proto.activity.v1.Script;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The activity API on the gateway ({@code fedgrid.activity.v1.Activities}, activity.proto), served
 * by {@link FleetServer} next to the Fleet service and behind the same {@link AuthInterceptor}:
 * every call arrives authenticated as a node. Translates messages into {@link ActivityBackend}
 * calls and failures into statuses ({@link FleetErrors}).
 *
 * <p>Parameters go down in chunks of at most {@link FleetServerOptions#MAX_CHUNK_BYTES} and come
 * up the same way; an upload is refused as soon as its declared size passes {@link
 * FleetServerOptions#maxUpdateBytes()}, or when its chunks are not contiguous. Long polls are
 * interrupted when the server begins to shut down. Thread-safe.
 */
final class ActivityService extends ActivitiesGrpc.ActivitiesImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(ActivityService.class);
  private static final long POLL_DEADLINE_MARGIN_MS = 250;

  private final ActivityBackend backend;
  private final FleetServerOptions options;
  private final FleetService polls;

  /** @param polls runs script polls as the fleet port's long polls, so shutdown and cancelled calls end them */
  ActivityService(ActivityBackend backend, FleetServerOptions options, FleetService polls) {
    this.backend = backend;
    this.options = options;
    this.polls = polls;
  }

  @Override
  public void pullScript(PullScriptRequest request, StreamObserver<PullScriptResponse> response) {
    NodeId node = AuthInterceptor.NODE.get();
    unary("PullScript", node, response, () -> {
      if (!request.getNodeId().isEmpty() && !request.getNodeId().equals(node.value())) {
        throw new InvalidRequestException("NODE_ID_MISMATCH", "the message names another node than the call is authenticated as (" + node + ")");
      }
      if (request.getWaitMs() < 0) throw new InvalidRequestException("INVALID_WAIT", "wait_ms must not be negative, got " + request.getWaitMs());
      long waitMs = Math.min(request.getWaitMs(), options.maxPollWait().toMillis());
      Deadline deadline = Context.current().getDeadline();
      if (deadline != null) waitMs = Math.max(0, Math.min(waitMs, deadline.timeRemaining(TimeUnit.MILLISECONDS) - POLL_DEADLINE_MARGIN_MS));
      Duration wait = Duration.ofMillis(waitMs);
      var script = polls.longPoll(() -> backend.pollScript(node, wait), Optional.<ActivityBackend.ScriptAssignment>empty(), "script poll of node " + node);
      if (script.isEmpty()) return none();
      ActivityBackend.ScriptAssignment s = script.get();
      LOG.info("node {}: script {} of activity {} handed over ({} commands)", node, s.batchId(), s.activityId(), s.script().commands().size());
      return PullScriptResponse.newBuilder().setScript(message(s)).build();
    });
  }

  @Override
  public void reportResult(ReportResultRequest r, StreamObserver<ReportResultResponse> response) {
    NodeId node = AuthInterceptor.NODE.get();
    unary("ReportResult", node, response, () -> {
      var logs = new ArrayList<ActivityBackend.LogEntry>();
      for (LogLine l : r.getLogsList()) {
        logs.add(new ActivityBackend.LogEntry(l.getTemplate(), List.copyOf(l.getArgsList()), l.getAtMs() > 0 ? Instant.ofEpochMilli(l.getAtMs()) : null));
      }
      var report = new ActivityBackend.CommandReport(r.getActivityId(), r.getBatchId(), r.getIndex(), r.getOk(), r.getMessage(), Map.copyOf(r.getValuesMap()),
          r.getParametersDigest(), logs, r.getCpuTimeUs());
      boolean proceed = backend.report(node, report);
      LOG.info("node {}: activity {} script {} command {} {}", node, r.getActivityId(), r.getBatchId(), r.getIndex(), r.getOk() ? "ok" : "failed");
      return ReportResultResponse.newBuilder().setProceed(proceed).build();
    });
  }

  @Override
  public void fetchParameters(FetchParametersRequest request, StreamObserver<ParameterChunk> response) {
    NodeId node = AuthInterceptor.NODE.get();
    byte[] bytes;
    try {
      bytes = backend.jobParameters(node, request.getActivityId(), request.getBatchId(), request.getIndex());
    } catch (RuntimeException e) {
      refuse("FetchParameters", node, e);
      response.onError(FleetErrors.toStatus(e, "FetchParameters"));
      return;
    }
    for (int offset = 0; offset < bytes.length; offset += FleetServerOptions.MAX_CHUNK_BYTES) {
      int n = Math.min(FleetServerOptions.MAX_CHUNK_BYTES, bytes.length - offset);
      response.onNext(ParameterChunk.newBuilder().setActivityId(request.getActivityId()).setBatchId(request.getBatchId()).setIndex(request.getIndex())
          .setOffset(offset).setTotalSize(bytes.length).setData(ByteString.copyFrom(bytes, offset, n)).build());
    }
    response.onCompleted();
  }

  @Override
  public StreamObserver<ParameterChunk> pushParameters(StreamObserver<PushParametersResponse> response) {
    NodeId node = AuthInterceptor.NODE.get();
    return new StreamObserver<>() {
      private ParameterChunk first;
      private ByteArrayOutputStream bytes;
      private boolean failed;

      @Override
      public void onNext(ParameterChunk c) {
        if (failed) return;
        try {
          if (first == null) {
            if (c.getTotalSize() < 1 || c.getTotalSize() > options.maxUpdateBytes()) {
              throw new InvalidRequestException("INVALID_PARAMETERS", "declared " + c.getTotalSize() + " bytes of parameters; the gateway takes 1 to "
                  + options.maxUpdateBytes());
            }
            first = c;
            bytes = new ByteArrayOutputStream((int) c.getTotalSize());
          }
          boolean same = c.getActivityId().equals(first.getActivityId()) && c.getBatchId().equals(first.getBatchId()) && c.getIndex() == first.getIndex()
              && c.getTotalSize() == first.getTotalSize();
          int size = c.getData().size();
          if (!same || c.getOffset() != bytes.size() || size == 0 || size > FleetServerOptions.MAX_CHUNK_BYTES || bytes.size() + size > c.getTotalSize()) {
            throw new InvalidRequestException("INVALID_PARAMETERS", "a parameter chunk of " + size + " bytes at offset " + c.getOffset()
                + " does not follow the " + bytes.size() + " bytes received for the same command");
          }
          c.getData().writeTo(bytes);
        } catch (RuntimeException | java.io.IOException e) {
          fail(e instanceof RuntimeException r ? r : new InvalidRequestException("INVALID_PARAMETERS", "unreadable chunk"));
        }
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
      }

      @Override
      public void onCompleted() {
        if (failed) return;
        if (first == null || bytes.size() != first.getTotalSize()) {
          fail(new InvalidRequestException("INVALID_PARAMETERS", "the upload ended after " + (bytes == null ? 0 : bytes.size()) + " of "
              + (first == null ? "?" : first.getTotalSize()) + " bytes"));
          return;
        }
        unary("PushParameters", node, response, () -> {
          String digest = backend.storeParameters(node, first.getActivityId(), first.getBatchId(), first.getIndex(), bytes.toByteArray());
          return PushParametersResponse.newBuilder().setParametersDigest(digest).setSize(bytes.size()).build();
        });
      }

      private void fail(RuntimeException e) {
        failed = true;
        refuse("PushParameters", node, e);
        response.onError(FleetErrors.toStatus(e, "PushParameters"));
      }
    };
  }

  /** The script as the node receives it. */
  static Script message(ActivityBackend.ScriptAssignment s) {
    var b = Script.newBuilder().setActivityId(s.activityId()).setBatchId(s.batchId()).setAgreementId(s.agreementId()).setJobId(s.jobId());
    List<ActivityCommand> commands = s.script().commands();
    for (int i = 0; i < commands.size(); i++) {
      var c = Command.newBuilder().setIndex(i);
      switch (commands.get(i)) {
        case Deploy d -> c.setDeploy(dev.fedgrid.proto.activity.v1.Deploy.newBuilder().setModelSpecJson(FleetMessages.toJson(d.model()))
            .setDatasetId(d.dataset().value()).setSeed(d.seed())
            .setParameters(d.parameters() == ActivityCommand.ParameterSource.JOB ? ParameterSource.PARAMETER_SOURCE_JOB : ParameterSource.PARAMETER_SOURCE_INITIAL));
        case Start x -> c.setStart(dev.fedgrid.proto.activity.v1.Start.getDefaultInstance());
        case Run r -> c.setRun(dev.fedgrid.proto.activity.v1.Run.newBuilder()
            .setKind(r.kind() == ActivityCommand.RunKind.FIT ? RunKind.RUN_KIND_FIT : RunKind.RUN_KIND_EVALUATE)
            .setDatasetId(r.dataset() == null ? "" : r.dataset().value()).setTrainingConfigJson(FleetMessages.toJson(r.training()))
            .setStandardize(r.standardize()));
        case Transfer t -> c.setTransfer(dev.fedgrid.proto.activity.v1.Transfer.newBuilder().setFrom(endpoint(t.from())).setTo(endpoint(t.to())));
        case Terminate x -> c.setTerminate(dev.fedgrid.proto.activity.v1.Terminate.getDefaultInstance());
      }
      b.addCommands(c);
    }
    return b.build();
  }

  private static Endpoint endpoint(ActivityCommand.Endpoint e) {
    return switch (e) {
      case JOB -> Endpoint.ENDPOINT_JOB;
      case ACTIVITY -> Endpoint.ENDPOINT_ACTIVITY;
      case GATEWAY -> Endpoint.ENDPOINT_GATEWAY;
    };
  }

  private PullScriptResponse none() {
    return PullScriptResponse.newBuilder().setNoneServerTimeMs(options.clock().millis()).build();
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
    if (e instanceof FedGridException f) LOG.warn("activity call {} from node {} refused: {}: {}", method, node == null ? "-" : node, f.code(), f.getMessage());
  }
}
