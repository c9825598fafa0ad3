package dev.fedgrid.gateway.fleet;

import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A node's verified signature of a task's result: who signed (the certificate it presented on the
 * connection, which the fleet layer has bound to the node's registration), what (the statement's
 * digest, see {@link dev.fedgrid.security.ResultStatement}) and the signature itself, so that the
 * audit trail can show, and anyone holding the certificate can re-check, that node X's
 * certificate serial S signed this result. Immutable.
 *
 * @param kind {@code fit}, {@code evaluate} or {@code failure}
 * @param jobId the job id the node signed (may be empty)
 * @param round the round the node signed
 * @param certificateSerial the signing certificate's serial, lower-case hexadecimal as {@code
 *     fedgrid pki list} prints it
 * @param certificateSubject the signing certificate's subject (RFC 2253)
 * @param digest the signed 32-byte statement digest
 * @param signature the signature, as sent
 */
public record ResultSignature(
    String kind, String jobId, int round, String certificateSerial, String certificateSubject, byte[] digest, byte[] signature) {
  public ResultSignature {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(certificateSerial, "certificateSerial");
    Objects.requireNonNull(certificateSubject, "certificateSubject");
    digest = digest.clone();
    signature = signature.clone();
  }

  @Override
  public byte[] digest() {
    return digest.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  /** The details of the {@code task.result.signed} audit event; a signature is no secret. */
  public Map<String, String> auditDetails() {
    var details = new LinkedHashMap<String, String>();
    details.put("kind", kind);
    if (!jobId.isEmpty()) details.put("job", jobId);
    details.put("round", Integer.toString(round));
    details.put("certificateSerial", certificateSerial);
    details.put("certificateSubject", certificateSubject);
    details.put("digest", HexFormat.of().formatHex(digest));
    details.put("signature", Base64.getEncoder().encodeToString(signature));
    return details;
  }
}
