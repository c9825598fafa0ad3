package dev.fedgrid.security;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a node states when it hands in a task's result, in the form it signs: a task's update (or
 * evaluation) or its failure report. The node signs {@link #digest()} with the key of its
 * certificate ({@link ResultSigner}); the gateway rebuilds the statement from what it received and
 * checks the signature with the certificate the node presented on the connection.
 *
 * <p><b>The digest.</b> SHA-256 over a length-prefixed encoding, so that no two different
 * statements encode alike: every string is a 4-byte big-endian length and its UTF-8 bytes, every
 * integer big-endian of its width, every byte string a 4-byte length and its bytes. An update
 * encodes the domain {@value #UPDATE_DOMAIN}, then task id, job id, round (4 bytes), kind ({@code
 * fit} or {@code evaluate}), examples (8 bytes), CPU time in microseconds (8 bytes), the number of metrics (4 bytes) and each metric
 * in ascending key order ({@link String#compareTo}) as its key and its value's IEEE 754 bits (8 bytes), then the SHA-256 of
 * the tensor-codec encoded parameters exactly as streamed (of zero bytes for an evaluation). A
 * failure encodes the domain {@value #FAILURE_DOMAIN}, then task id, job id, round and reason. The
 * domains keep a signature over one kind of statement from ever verifying as the other, or as
 * anything else the certificate's key might sign.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface ResultStatement permits ResultStatement.Update, ResultStatement.Failure {
  /** Domain separator of update statements. */
  String UPDATE_DOMAIN = "fedgrid.fleet.v1/update";
  /** Domain separator of failure statements. */
  String FAILURE_DOMAIN = "fedgrid.fleet.v1/failure";

  /** The 32-byte SHA-256 digest the node signs; see the class comment for the encoding. */
  byte[] digest();

  /** The task the statement is about. */
  String taskId();

  /**
   * A task's result: for a fit task the trained parameters, for an evaluate task none.
   *
   * @param taskId the task's id as sent
   * @param jobId the job's id as sent (may be empty)
   * @param round the round as sent
   * @param kind {@link #FIT} or {@link #EVALUATE}
   * @param examples the examples the result was computed on
   * @param cpuTimeUs the CPU time the node reports for the task, in microseconds, as sent (it is
   *     billed under a market agreement, so the node stands behind it too)
   * @param metrics the metrics as sent; their order does not matter
   * @param parametersSha256 SHA-256 of the encoded parameters as streamed ({@link
   *     #sha256(byte[])} of no bytes for an evaluation)
   */
  record Update(String taskId, String jobId, int round, String kind, long examples, long cpuTimeUs, Map<String, Double> metrics, byte[] parametersSha256)
      implements ResultStatement {
    /** The {@code kind} of a fit task's result. */
    public static final String FIT = "fit";
    /** The {@code kind} of an evaluate task's result. */
    public static final String EVALUATE = "evaluate";

    public Update {
      Objects.requireNonNull(taskId, "taskId");
      Objects.requireNonNull(jobId, "jobId");
      Objects.requireNonNull(kind, "kind");
      metrics = Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(metrics, "metrics")));
      if (parametersSha256 == null || parametersSha256.length != 32) {
        throw new IllegalArgumentException("parametersSha256 must be a 32-byte SHA-256 digest");
      }
      parametersSha256 = parametersSha256.clone();
    }

    @Override
    public byte[] digest() {
      return StatementEncoding.digest(out -> {
        out.text(UPDATE_DOMAIN);
        out.text(taskId);
        out.text(jobId);
        out.int32(round);
        out.text(kind);
        out.int64(examples);
        out.int64(cpuTimeUs);
        out.int32(metrics.size());
        for (var e : metrics.entrySet()) { // a TreeMap: ascending key order
          out.text(e.getKey());
          out.int64(Double.doubleToLongBits(e.getValue()));
        }
        out.bytes(parametersSha256);
      });
    }

    @Override
    public byte[] parametersSha256() {
      return parametersSha256.clone();
    }
  }

  /**
   * A node's report that it could not do a task.
   *
   * @param taskId the task's id as sent
   * @param jobId the job's id as sent (may be empty)
   * @param round the round as sent
   * @param reason the reason as sent
   */
  record Failure(String taskId, String jobId, int round, String reason) implements ResultStatement {
    public Failure {
      Objects.requireNonNull(taskId, "taskId");
      Objects.requireNonNull(jobId, "jobId");
      Objects.requireNonNull(reason, "reason");
    }

    @Override
    public byte[] digest() {
      return StatementEncoding.digest(out -> {
        out.text(FAILURE_DOMAIN);
        out.text(taskId);
        out.text(jobId);
        out.int32(round);
        out.text(reason);
      });
    }
  }

  /** A fresh SHA-256, for hashing parameters as they stream. */
  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** SHA-256 of {@code bytes}. */
  static byte[] sha256(byte[] bytes) {
    return sha256().digest(bytes);
  }
}
