package dev.fedgrid.custodian;

import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.ArtifactId;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.SealedArtifact;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals a confidential artifact with AES-256-GCM (the JDK's provider) under a fresh data key, and
 * opens it again. The associated data is {@code fedgrid-confidential-v1|<artifact id>}, so a
 * ciphertext moved under another artifact's id (and so another job's key release) fails to open.
 * The nonce is 12 random bytes; a key seals exactly one artifact, so nonces never repeat under a
 * key. Data is fed to the cipher in 1 MiB {@code update} calls, which keeps large parameter files
 * at the cipher's full speed. Stateless and thread-safe.
 */
public final class ConfidentialBox {
  private static final int NONCE_BYTES = SealedArtifact.NONCE_BYTES;
  private static final int TAG_BYTES = SealedArtifact.TAG_BYTES;
  private static final int CHUNK = 1 << 20;

  private ConfidentialBox() {}

  /**
   * What sealing gives the requestor: the artifact for the gateway and one share per custodian,
   * to deposit at {@code sealed.custodians().get(i)} for share {@code i}.
   */
  public record Sealed(SealedArtifact artifact, List<KeyShare> shares) {}

  /**
   * Encrypts {@code plaintext} under a fresh key, splits the key {@code threshold}-of-{@code
   * custodians.size()} and zeroes it.
   */
  public static Sealed seal(byte[] plaintext, ArtifactId id, List<String> custodians, int threshold, SecureRandom random) {
    DataKeys.checkThreshold(threshold, custodians.size());
    byte[] key = DataKeys.fresh(random);
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      random.nextBytes(nonce);
      byte[] ciphertext = run(Cipher.ENCRYPT_MODE, key, nonce, id, plaintext);
      var enc = Base64.getEncoder();
      var artifact = new SealedArtifact(id, SealedArtifact.ALGORITHM, enc.encodeToString(nonce), enc.encodeToString(ciphertext), custodians, threshold);
      return new Sealed(artifact, DataKeys.split(key, threshold, custodians.size(), random));
    } catch (AEADBadTagException e) {
      throw new IllegalStateException("encryption cannot fail authentication", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /**
   * Decrypts {@code artifact} with {@code key}; the caller zeroes the key.
   *
   * @throws InvalidRequestException with code {@code ARTIFACT_DECRYPTION_FAILED} when the key is
   *     wrong (as one from fewer than the threshold of shares is) or the ciphertext or its artifact
   *     id was altered
   */
  public static byte[] open(SealedArtifact artifact, byte[] key) {
    if (key == null || key.length != DataKeys.KEY_BYTES) throw new IllegalArgumentException("a data key is " + DataKeys.KEY_BYTES + " bytes");
    var dec = Base64.getDecoder();
    try {
      return run(Cipher.DECRYPT_MODE, key, dec.decode(artifact.nonce()), artifact.artifactId(), dec.decode(artifact.ciphertext()));
    } catch (AEADBadTagException e) {
      throw new InvalidRequestException(
          "ARTIFACT_DECRYPTION_FAILED",
          "confidential artifact " + artifact.artifactId() + " does not open with the reconstructed key: the shares do not belong to it "
              + "(fewer than its threshold of " + artifact.threshold() + ", or from another artifact) or the ciphertext was altered",
          Map.of("artifactId", artifact.artifactId().value()));
    }
  }

  private static byte[] run(int mode, byte[] key, byte[] nonce, ArtifactId id, byte[] input) throws AEADBadTagException {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
      cipher.updateAAD(("fedgrid-confidential-v1|" + id.value()).getBytes(StandardCharsets.US_ASCII));
      var out = new ByteArrayOutputStream(input.length + TAG_BYTES);
      for (int at = 0; at < input.length; at += CHUNK) {
        byte[] part = cipher.update(input, at, Math.min(CHUNK, input.length - at));
        if (part != null) out.writeBytes(part);
      }
      out.writeBytes(cipher.doFinal());
      return out.toByteArray();
    } catch (AEADBadTagException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new InternalException("CIPHER_FAILED", "AES-GCM is not available: " + e.getMessage(), Map.of(), e);
    }
  }
}
