package dev.fedgrid.node;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.SealedArtifact;
import dev.fedgrid.custodian.Custodians;
import dev.fedgrid.proto.fleet.v1.Task;
import dev.fedgrid.security.TlsMaterial;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * Opens a confidential job's sealed model spec for one task: asks the key custodians the task
 * names for their shares with this node's certificate (whose name the custodians check against the
 * job's APPROVED agreements at the gateway), stops at the threshold, rebuilds the data key in
 * memory, decrypts, and zeroes the key, the shares and the plaintext bytes ({@link
 * Custodians#open}). Nothing is cached or written to disk: every task asks again, and each
 * custodian audits each release. Thread-safe.
 */
final class ConfidentialArtifacts {
  private final SSLContext ssl;
  private final Duration timeout;

  /** @param tls the node's certificate, or null for a node running with {@code --insecure}, which cannot ask */
  ConfidentialArtifacts(TlsMaterial tls, Duration timeout) {
    this.ssl = tls == null ? null : tls.sslContext();
    this.timeout = timeout;
  }

  /**
   * The sealed model spec of {@code task}.
   *
   * @param outline the task's {@code model_spec_json}, which must be the sealed spec's outline
   * @throws dev.fedgrid.api.FedGridException saying why not: no certificate, too few custodians
   *     released a share (with each refusal's reason), the key does not open it, or it does not
   *     match its outline
   */
  ModelSpec open(Task task, ModelSpec outline) {
    if (ssl == null) {
      throw new InvalidRequestException(
          "CONFIDENTIAL_NEEDS_TLS", "the key custodians answer only nodes with a certificate of the project CA; start the node with --tls-dir, not --insecure", Map.of());
    }
    SealedArtifact sealed = NodeJson.read(task.getConfidentialModelJson(), SealedArtifact.class, "confidential_model_json");
    byte[] plain = Custodians.open(sealed, JobId.of(task.getJobId()), ssl, timeout);
    ModelSpec spec;
    try {
      spec = NodeJson.read(new String(plain, StandardCharsets.UTF_8), ModelSpec.class, "the sealed model spec");
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
    if (!spec.outline().equals(outline)) {
      throw new InvalidRequestException(
          "CONFIDENTIAL_OUTLINE_MISMATCH",
          "the sealed model spec of artifact " + sealed.artifactId() + " does not have the outline the gateway laid the parameters out for; resubmit the job", Map.of());
    }
    return spec;
  }
}
