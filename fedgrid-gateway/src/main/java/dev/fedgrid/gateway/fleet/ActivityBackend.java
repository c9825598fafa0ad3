package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.market.ActivityScript;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the activity API (gRPC service {@code fedgrid.activity.v1.Activities}) asks of the gateway,
 * free of any transport type. Calls arrive authenticated as {@code node} by the fleet API's
 * interceptor; every call checks that the activity runs on that node. Implementations are
 * thread-safe.
 */
public interface ActivityBackend {
  /** A script handed to its node. */
  record ScriptAssignment(String activityId, String batchId, String agreementId, String jobId, ActivityScript script) {}

  /** A log line as the node sends it: a template number and its numbers. */
  record LogEntry(int template, List<Double> args, Instant at) {}

  /**
   * The result of command {@code index} of a batch, with the log lines it produced and the CPU time
   * the node's engine thread spent on it, in microseconds (billed when the command succeeded).
   */
  record CommandReport(
      String activityId, String batchId, int index, boolean ok, String message, Map<String, Double> values, String parametersDigest, List<LogEntry> logs,
      long cpuMicros) {
    /** A result that reports no CPU time. */
    public CommandReport(
        String activityId, String batchId, int index, boolean ok, String message, Map<String, Double> values, String parametersDigest, List<LogEntry> logs) {
      this(activityId, batchId, index, ok, message, values, parametersDigest, logs, 0);
    }
  }

  /**
   * Waits up to {@code maxWait} for a script queued for this node, and marks it running.
   *
   * @throws InterruptedException when the call is cancelled or the server shuts down
   */
  Optional<ScriptAssignment> pollScript(NodeId node, Duration maxWait) throws InterruptedException;

  /**
   * Stores one command's result.
   *
   * @return whether the node should go on with the script (false once the activity was terminated
   *     meanwhile)
   * @throws dev.fedgrid.api.InvalidRequestException a malformed result; nothing changes
   * @throws dev.fedgrid.api.ConflictException {@code RESULT_ALREADY_REPORTED} for a repeated one
   */
  boolean report(NodeId node, CommandReport report);

  /** The tensor-codec bytes a deploy or transfer command at {@code index} loads from the job. */
  byte[] jobParameters(NodeId node, String activityId, String batchId, int index);

  /**
   * Keeps the parameters a transfer to the gateway at {@code index} sends.
   *
   * @return their SHA-256, lower-case hex
   */
  String storeParameters(NodeId node, String activityId, String batchId, int index, byte[] bytes);
}
