package dev.fedgrid.custodian;

import dev.fedgrid.api.InvalidRequestException;
import java.net.URI;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A confidential artifact as the gateway stores and forwards it: the AES-256-GCM ciphertext of the
 * model spec (and initial parameters), with the custodians that hold the data key's shares and how
 * many of them it takes. Nothing here helps decrypt: the key exists only as shares at the
 * custodians (custodian {@code i} of {@link #custodians()} holds share {@code i + 1}).
 *
 * @param artifactId what the associated data binds the ciphertext to
 * @param algorithm always {@value ConfidentialBox#ALGORITHM}
 * @param nonce the 12-byte GCM nonce, base64
 * @param ciphertext ciphertext and 16-byte tag, base64
 * @param custodians the custodians' HTTPS base URLs, in share order
 * @param threshold how many shares reconstruct the key
 */
public record SealedArtifact(ArtifactId artifactId, String algorithm, String nonce, String ciphertext, List<String> custodians, int threshold) {
  /** The largest ciphertext accepted, base64 characters (48 MiB of model spec and parameters). */
  public static final int MAX_CIPHERTEXT_CHARS = 64 << 20;

  /** @throws InvalidRequestException with code {@code INVALID_SEALED_ARTIFACT} saying what is wrong */
  public SealedArtifact {
    if (artifactId == null) throw invalid("it names no artifactId");
    if (!ConfidentialBox.ALGORITHM.equals(algorithm)) throw invalid("algorithm must be " + ConfidentialBox.ALGORITHM + ", got '" + algorithm + "'");
    if (decodedLength(nonce, "nonce") != ConfidentialBox.NONCE_BYTES) throw invalid("the nonce must be " + ConfidentialBox.NONCE_BYTES + " bytes");
    if (ciphertext == null || ciphertext.length() > MAX_CIPHERTEXT_CHARS) throw invalid("the ciphertext is missing or over " + MAX_CIPHERTEXT_CHARS + " characters");
    if (decodedLength(ciphertext, "ciphertext") < ConfidentialBox.TAG_BYTES) throw invalid("the ciphertext is shorter than its tag");
    if (custodians == null) throw invalid("it names no custodians");
    custodians = List.copyOf(custodians);
    DataKeys.checkThreshold(threshold, custodians.size());
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
