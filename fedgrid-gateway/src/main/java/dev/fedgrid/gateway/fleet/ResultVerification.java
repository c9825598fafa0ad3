package dev.fedgrid.gateway.fleet;

import com.google.protobuf.ByteString;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.proto.fleet.v1.ReportFailureRequest;
import dev.fedgrid.proto.fleet.v1.UpdateHeader;
import dev.fedgrid.security.ResultSigner;
import dev.fedgrid.security.ResultStatement;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;

/**
 * Checks the signatures nodes put on their results. Over mutual TLS every update and failure
 * report must carry the node's signature of its {@link ResultStatement}, made with the key of the
 * certificate the node presented on this very connection; {@link AuthInterceptor} has already
 * bound that certificate to the node id the call authenticated as, so a valid signature proves
 * the result is, byte for byte, what that node sent, and a signature captured from another node
 * or another result does not verify. Plaintext calls have no certificate and carry no signature.
 *
 * <p>A missing or invalid signature is a {@link PermissionDeniedException} thrown before the
 * result reaches the {@link FleetBackend}, so it changes nothing. Stateless and thread-safe.
 */
final class ResultVerification {
  private ResultVerification() {}

  /** Refuses an oversized signature as soon as its message arrives, before any chunk is buffered. */
  static void checkSize(ByteString signature) {
    if (signature.size() > ResultSigner.MAX_SIGNATURE_BYTES) {
      throw new InvalidRequestException(
          "INVALID_SIGNATURE", "a signature has at most " + ResultSigner.MAX_SIGNATURE_BYTES + " bytes, got " + signature.size());
    }
  }

  /**
   * Verifies an update's signature.
   *
   * @param metrics the header's metrics, already validated
   * @param parametersSha256 SHA-256 of the parameter chunks exactly as they arrived
   * @return the verified signature, empty over plaintext
   * @throws PermissionDeniedException {@code UPDATE_SIGNATURE_MISSING} or {@code
   *     UPDATE_SIGNATURE_INVALID}
   */
  static Optional<ResultSignature> update(PeerCertificate peer, UpdateHeader h, TaskKind kind, Map<String, Double> metrics, byte[] parametersSha256) {
    if (peer == null) return Optional.empty();
    String wireKind = kind == TaskKind.FIT ? ResultStatement.Update.FIT : ResultStatement.Update.EVALUATE;
    var statement = new ResultStatement.Update(h.getTaskId(), h.getJobId(), h.getRound(), wireKind, h.getExamples(), h.getCpuTimeUs(), metrics, parametersSha256);
    return Optional.of(verify(peer, statement, h.getSignature(), wireKind, h.getJobId(), h.getRound(), "UPDATE", "the " + wireKind + " result"));
  }

  /**
   * Verifies a failure report's signature.
   *
   * @return the verified signature, empty over plaintext
   * @throws PermissionDeniedException {@code FAILURE_SIGNATURE_MISSING} or {@code
   *     FAILURE_SIGNATURE_INVALID}
   */
  static Optional<ResultSignature> failure(PeerCertificate peer, ReportFailureRequest r) {
    if (peer == null) return Optional.empty();
    checkSize(r.getSignature());
    var statement = new ResultStatement.Failure(r.getTaskId(), r.getJobId(), r.getRound(), r.getReason());
    return Optional.of(verify(peer, statement, r.getSignature(), "failure", r.getJobId(), r.getRound(), "FAILURE", "the failure report"));
  }

  private static ResultSignature verify(
      PeerCertificate peer, ResultStatement statement, ByteString signature, String kind, String jobId, int round, String code, String what) {
    X509Certificate certificate = peer.certificate();
    String task = FleetMessages.shorten(statement.taskId());
    if (signature.isEmpty() || certificate == null) {
      throw new PermissionDeniedException(
          code + "_SIGNATURE_MISSING",
          what + " for task " + task + " carries no signature; over mutual TLS a node signs every result with its certificate's key"
              + " (upgrade the node); nothing was stored",
          Map.of("task", task));
    }
    byte[] bytes = signature.toByteArray();
    String serial = certificate.getSerialNumber().toString(16);
    if (!ResultSigner.verify(certificate, statement, bytes)) {
      throw new PermissionDeniedException(
          code + "_SIGNATURE_INVALID",
          what + " for task " + task + " is not signed by the certificate '" + peer.subject() + "' (serial " + serial
              + ") this node presented: it was changed after signing or signed with another key; nothing was stored",
          Map.of("task", task, "certificate", peer.subject(), "serial", serial));
    }
    return new ResultSignature(kind, jobId, round, serial, peer.subject(), statement.digest(), bytes);
  }
}
