package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.core.secagg.SecAggConfig;
import dev.fedgrid.core.secagg.SecAggMessage;
import dev.fedgrid.proto.fleet.v1.SecAggAwaitRequest;
import dev.fedgrid.proto.fleet.v1.SecAggAwaitResponse;
import dev.fedgrid.proto.fleet.v1.SecAggStage;
import dev.fedgrid.proto.fleet.v1.SecAggSubmitHeader;
import dev.fedgrid.proto.fleet.v1.SecAggSubmitRequest;
import dev.fedgrid.proto.fleet.v1.SecAggSubmitResponse;
import dev.fedgrid.proto.fleet.v1.UpdateChunk;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet API's two SecAgg+ calls, {@code SecAggSubmit} and {@code SecAggAwait}: each checks that
 * the authenticated node owns the task and that the task runs under secure aggregation ({@link
 * FleetBackend#secAggAssignment}), then the message's shape ({@link SecAggWire}), before the round
 * sees it. A masked vector is buffered only after its declared size matched the round's, and its
 * chunks must be contiguous and add up to it, as with {@code PushUpdate}. Nothing here keeps a
 * message after handing it on: the round's server adds a masked vector into its running sum.
 *
 * <p>Thread-safe; gRPC serializes the calls of one stream.
 */
final class SecAggCalls {
  private static final Logger LOG = LoggerFactory.getLogger(SecAggCalls.class);
  private static final long DEADLINE_MARGIN_MS = 250;

  private final FleetBackend backend;
  private final FleetServerOptions options;
  private final FleetService polls;

  /** @param polls runs the stage waits as long polls, so shutdown and cancelled calls end them */
  SecAggCalls(FleetBackend backend, FleetServerOptions options, FleetService polls) {
    this.backend = backend;
    this.options = options;
    this.polls = polls;
  }

  StreamObserver<SecAggSubmitRequest> submit(NodeId node, StreamObserver<SecAggSubmitResponse> response) {
    return new Receiver(node, response);
  }

  void await(NodeId node, SecAggAwaitRequest request, StreamObserver<SecAggAwaitResponse> response) {
    SecAggAwaitResponse reply;
    try {
      TaskId task = TaskId.of(request.getTaskId());
      if (request.getWaitMs() < 0) throw new InvalidRequestException("INVALID_WAIT", "wait_ms must not be negative, got " + request.getWaitMs());
      long waitMs = Math.min(request.getWaitMs(), options.maxPollWait().toMillis());
      Deadline deadline = Context.current().getDeadline();
      if (deadline != null) waitMs = Math.max(0, Math.min(waitMs, deadline.timeRemaining(TimeUnit.MILLISECONDS) - DEADLINE_MARGIN_MS));
      Duration wait = Duration.ofMillis(waitMs);
      SecAggMessage.FromServer next = polls.longPoll(() -> backend.secAggAwait(node, task, wait), null, "SecAgg+ wait of node " + node);
      reply = SecAggWire.toProto(next, options.clock().millis());
    } catch (RuntimeException e) {
      refuse("SecAggAwait", node, e);
      response.onError(FleetErrors.toStatus(e, "SecAggAwait"));
      return;
    }
    response.onNext(reply);
    response.onCompleted();
  }

  private static void refuse(String method, NodeId node, RuntimeException e) {
    if (e instanceof FedGridException f) LOG.warn("fleet call {} from node {} refused: {}: {}", method, node, f.code(), f.getMessage());
  }

  /** One submission: a header, then for a masked input its contiguous chunks. */
  private final class Receiver implements StreamObserver<SecAggSubmitRequest> {
    private final NodeId node;
    private final StreamObserver<SecAggSubmitResponse> response;
    private SecAggSubmitHeader header;
    private TaskId task;
    private SecAggConfig config;
    private byte[] masked;
    private int received;
    private boolean finished;

    Receiver(NodeId node, StreamObserver<SecAggSubmitResponse> response) {
      this.node = node;
      this.response = response;
    }

    @Override
    public void onNext(SecAggSubmitRequest message) {
      if (finished) return;
      try {
        switch (message.getPartCase()) {
          case HEADER -> accept(message.getHeader());
          case CHUNK -> accept(message.getChunk());
          case PART_NOT_SET -> throw new InvalidRequestException("SECAGG_EMPTY_MESSAGE", "every SecAgg+ submission message carries a header or a chunk");
        }
      } catch (RuntimeException e) {
        fail(e);
      }
    }

    private void accept(SecAggSubmitHeader h) {
      if (header != null) throw new InvalidRequestException("SECAGG_HEADER_REPEATED", "a SecAgg+ submission has exactly one header, sent first");
      TaskId id = TaskId.of(h.getTaskId());
      SecAggConfig c = backend.secAggAssignment(node, id).setup().config(); // the node must own the task
      SecAggWire.checkHeader(h, c);
      if (h.getMaskedSize() > options.maxUpdateBytes()) {
        throw new InvalidRequestException("UPDATE_TOO_LARGE", "the masked vector declares " + h.getMaskedSize() + " bytes but this gateway accepts at most " + options.maxUpdateBytes());
      }
      header = h;
      task = id;
      config = c;
      if (h.getStage() == SecAggStage.SECAGG_STAGE_MASKED_INPUT) masked = new byte[Math.toIntExact(h.getMaskedSize())];
    }

    private void accept(UpdateChunk c) {
      if (header == null) throw new InvalidRequestException("SECAGG_HEADER_MISSING", "the first message of a SecAgg+ submission must be its header");
      if (masked == null) throw new InvalidRequestException("SECAGG_UNEXPECTED_CHUNK", "only a stage-3 masked input carries chunks");
      if (!c.getTaskId().equals(task.value())) throw new InvalidRequestException("UPDATE_TASK_MISMATCH", "a chunk names a task other than the header's " + task);
      int size = c.getData().size();
      if (size == 0 || size > FleetServerOptions.MAX_CHUNK_BYTES) {
        throw new InvalidRequestException("INVALID_CHUNK", "a chunk holds 1 to " + FleetServerOptions.MAX_CHUNK_BYTES + " bytes, got " + size);
      }
      if (c.getOffset() != received) {
        throw new InvalidRequestException("UPDATE_OFFSET_MISMATCH", "a chunk starts at offset " + c.getOffset() + " but " + received + " bytes have arrived; chunks must be contiguous");
      }
      if ((long) received + size > masked.length) {
        throw new InvalidRequestException("SECAGG_BAD_SIZE", "the chunks exceed the declared " + masked.length + " bytes of the masked vector");
      }
      c.getData().copyTo(masked, received);
      received += size;
    }

    @Override
    public void onError(Throwable t) {
      finished = true;
      masked = null;
      LOG.debug("node {} abandoned its SecAgg+ submission for task {}: {}", node, task, t.toString());
    }

    @Override
    public void onCompleted() {
      if (finished) return;
      try {
        if (header == null) throw new InvalidRequestException("SECAGG_HEADER_MISSING", "the SecAgg+ submission ended before its header");
        if (masked != null && received != masked.length) {
          throw new InvalidRequestException("SECAGG_BAD_SIZE", "the masked vector declared " + masked.length + " bytes but " + received + " arrived");
        }
        SecAggMessage.FromClient message = SecAggWire.fromClient(header, masked, config);
        masked = null;
        backend.secAggSubmit(node, task, message, header.getExamples());
      } catch (RuntimeException e) {
        fail(e);
        return;
      }
      finished = true;
      LOG.info("node {} submitted SecAgg+ {} for task {}", node, header.getStage(), task);
      response.onNext(SecAggSubmitResponse.newBuilder().setTaskId(task.value()).build());
      response.onCompleted();
    }

    private void fail(RuntimeException e) {
      finished = true;
      masked = null;
      refuse("SecAggSubmit", node, e);
      response.onError(FleetErrors.toStatus(e, "SecAggSubmit"));
    }
  }
}
