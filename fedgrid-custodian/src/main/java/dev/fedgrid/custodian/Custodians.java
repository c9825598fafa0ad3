package dev.fedgrid.custodian;

import dev.fedgrid.api.model.SealedArtifact;
import dev.fedgrid.api.ArtifactId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.PermissionDeniedException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * The two ends of a confidential artifact. The requestor {@link #sealAndDeposit seals} the model
 * under a fresh data key, deposits share {@code i} at custodian {@code i} and hands only the {@link
 * SealedArtifact} to the gateway; once the job exists it {@link #bind binds} the artifact to it at
 * every custodian. A node {@link #open opens} it: it asks the custodians in order for their shares,
 * stops at the threshold, reconstructs the key in memory, decrypts, and zeroes the key and the
 * shares. Stateless and thread-safe.
 */
public final class Custodians {
  private Custodians() {}

  /**
   * Seals {@code plaintext} and deposits the key's shares. Nothing is returned until every
   * custodian holds its share, so a job is never submitted with a key that cannot be recovered.
   *
   * @param ssl the requestor's user certificate ({@code fedgrid pki issue user NAME})
   * @throws FedGridException of the custodian that refused or could not be reached
   */
  public static SealedArtifact sealAndDeposit(byte[] plaintext, List<String> custodians, int threshold, SSLContext ssl, Duration timeout, SecureRandom random) {
    var clients = custodians.stream().map(c -> new CustodianClient(c, ssl, timeout)).toList();
    ConfidentialBox.Sealed sealed = ConfidentialBox.seal(plaintext, ArtifactId.random(), custodians, threshold, random);
    try {
      for (int i = 0; i < clients.size(); i++) clients.get(i).deposit(sealed.artifact().artifactId(), sealed.shares().get(i), threshold);
    } finally {
      sealed.shares().forEach(KeyShare::destroy);
    }
    return sealed.artifact();
  }

  /** Binds {@code artifact} to {@code job} at every custodian. */
  public static void bind(SealedArtifact artifact, JobId job, SSLContext ssl, Duration timeout) {
    for (String c : artifact.custodians()) new CustodianClient(c, ssl, timeout).bind(artifact.artifactId(), job);
  }

  /**
   * Recovers the data key from the custodians and decrypts {@code artifact}.
   *
   * @param ssl the node's certificate, whose CN the custodians check against the job's agreements
   * @throws PermissionDeniedException with code {@code DATA_KEY_UNAVAILABLE} when fewer than the
   *     threshold released a share; the message says how many answered and why each other refused
   * @throws dev.fedgrid.api.InvalidRequestException with code {@code ARTIFACT_DECRYPTION_FAILED}
   *     when the shares do not open it
   */
  public static byte[] open(SealedArtifact artifact, JobId job, SSLContext ssl, Duration timeout) {
    var shares = new ArrayList<KeyShare>();
    var refusals = new ArrayList<String>();
    try {
      for (int i = 0; i < artifact.custodians().size() && shares.size() < artifact.threshold(); i++) {
        String c = artifact.custodians().get(i);
        try {
          KeyShare share = new CustodianClient(c, ssl, timeout).release(artifact.artifactId(), job);
          if (share.index() == i + 1) {
            shares.add(share);
          } else {
            share.destroy();
            refusals.add("WRONG_SHARE: custodian " + c + " sent share " + share.index() + " where share " + (i + 1) + " was deposited");
          }
        } catch (FedGridException e) {
          refusals.add(e.code() + ": " + e.getMessage());
        }
      }
      if (shares.size() < artifact.threshold()) {
        throw new PermissionDeniedException(
            "DATA_KEY_UNAVAILABLE",
            "the data key of confidential artifact " + artifact.artifactId() + " needs " + artifact.threshold() + " of " + artifact.custodians().size()
                + " custodians, but only " + shares.size() + " released a share; " + String.join("; ", refusals),
            Map.of("artifactId", artifact.artifactId().value(), "released", shares.size(), "threshold", artifact.threshold()));
      }
      byte[] key = DataKeys.combine(shares);
      try {
        return ConfidentialBox.open(artifact, key);
      } finally {
        Arrays.fill(key, (byte) 0);
      }
    } finally {
      shares.forEach(KeyShare::destroy);
    }
  }
}
