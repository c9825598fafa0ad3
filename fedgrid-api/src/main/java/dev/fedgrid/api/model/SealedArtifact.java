package dev.fedgrid.api.model;

import dev.fedgrid.api.ArtifactId;
import dev.fedgrid.api.InvalidRequestException;
import java.net.URI;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A confidential model (a job's {@link dev.fedgrid.api.job.JobSpec#confidential()}) as the gateway
 * stores and forwards it: the AES-256-GCM ciphertext of the model spec's JSON, with the custodians
 * that hold the data key's shares and how many of them it takes. Nothing here helps decrypt: the key exists only as shares at the
 * custodians (custodian {@code i} of {@link #custodians()} holds share {@code i + 1}).
 *
 * @param artifactId what the associated data binds the ciphertext to
 * @param algorithm always {@value #ALGORITHM}
 * @param nonce the 12-byte GCM nonce, base64
 * @param ciphertext ciphertext and 16-byte tag, base64
 * @param custodians the custodians' HTTPS base URLs, in share order
 * @param threshold how many shares reconstruct the key
 */
public record SealedArtifact(ArtifactId artifactId, String algorithm, String nonce, String ciphertext, List<String> custodians, int threshold) {
  /** The only algorithm: AES with a 256-bit key in Galois/counter mode, 12-byte nonce, 16-byte tag. */
  public static final String ALGORITHM = "AES-256-GCM";
  /** GCM's nonce length. */
  public static final int NONCE_BYTES = 12;
  /** GCM's tag length. */
  public static final int TAG_BYTES = 16;
  /** GF(2^8), which the key shares live in, has 255 distinct non-zero points. */
  public static final int MAX_CUSTODIANS = 255;
  /**
   * The largest ciphertext accepted, in base64 characters (about 600 KiB of model spec): it travels
   * inside a job's spec, and the control API takes JSON bodies up to 1 MiB.
   */
  public static final int MAX_CIPHERTEXT_CHARS = 800 * 1024;

  /** @throws InvalidRequestException with code {@code INVALID_SEALED_ARTIFACT} saying what is wrong */
  public SealedArtifact {
    if (artifactId == null) throw invalid("it names no artifactId");
    if (!ALGORITHM.equals(algorithm)) throw invalid("algorithm must be " + ALGORITHM + ", got '" + algorithm + "'");
    if (decodedLength(nonce, "nonce") != NONCE_BYTES) throw invalid("the nonce must be " + NONCE_BYTES + " bytes");
    if (ciphertext == null || ciphertext.length() > MAX_CIPHERTEXT_CHARS) throw invalid("the ciphertext is missing or over " + MAX_CIPHERTEXT_CHARS + " characters");
    if (decodedLength(ciphertext, "ciphertext") < TAG_BYTES) throw invalid("the ciphertext is shorter than its tag");
    if (custodians == null) throw invalid("it names no custodians");
    custodians = List.copyOf(custodians);
    checkThreshold(threshold, custodians.size());
    for (String c : custodians) checkUrl(c);
    if (custodians.stream().distinct().count() != custodians.size()) throw invalid("a custodian is listed twice");
  }

  /**
   * A custodian's base URL: {@code https://host:port} with no path, query or user info.
   *
   * @throws InvalidRequestException with code {@code INVALID_CUSTODIAN_URL}
   */
  public static URI checkUrl(String url) {
    URI uri;
    try {
      uri = url == null ? null : URI.create(url.strip());
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri == null || !"https".equals(uri.getScheme()) || uri.getHost() == null || uri.getUserInfo() != null || uri.getQuery() != null
        || !(uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))) {
      throw new InvalidRequestException(
          "INVALID_CUSTODIAN_URL", "a custodian is an HTTPS base URL such as https://custodian-a.example.org:7700, got '" + url + "'", Map.of());
    }
    return uri;
  }

  /**
   * @throws InvalidRequestException with code {@code INVALID_THRESHOLD} unless {@code 2 <= threshold
   *     <= custodians <= 255}: a threshold of 1 would let every custodian alone decrypt
   */
  public static void checkThreshold(int threshold, int custodians) {
    if (custodians < 2 || custodians > MAX_CUSTODIANS || threshold < 2 || threshold > custodians) {
      throw new InvalidRequestException(
          "INVALID_THRESHOLD",
          "a data key is split among 2 to " + MAX_CUSTODIANS + " custodians with a threshold from 2 to their number (one custodian alone must not decrypt), got "
              + threshold + " of " + custodians,
          Map.of("threshold", threshold, "custodians", custodians));
    }
  }

  private static int decodedLength(String b64, String what) {
    try {
      return b64 == null ? -1 : Base64.getDecoder().decode(b64).length;
    } catch (IllegalArgumentException e) {
      throw invalid("the " + what + " is not base64");
    }
  }

  private static InvalidRequestException invalid(String message) {
    return new InvalidRequestException("INVALID_SEALED_ARTIFACT", "the confidential artifact is malformed: " + message, Map.of());
  }
}
