package dev.fedgrid.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The id of a confidential artifact, chosen by the requestor before the job exists: {@code art_}
 * and 32 lower-case hexadecimal digits (128 random bits). The AES-GCM associated data binds the
 * ciphertext to it, and every share a custodian holds is filed under it.
 */
public record ArtifactId(@JsonValue String value) {
  private static final Pattern FORMAT = Pattern.compile("art_[0-9a-f]{32}");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** @throws InvalidRequestException with code {@code INVALID_ARTIFACT_ID} when malformed */
  @JsonCreator
  public ArtifactId {
    if (value == null || !FORMAT.matcher(value).matches()) {
      throw new InvalidRequestException(
          "INVALID_ARTIFACT_ID", "an artifact id is 'art_' and 32 lower-case hex digits, got '" + abbreviate(value) + "'", Map.of());
    }
  }

  /** A fresh id from a {@link SecureRandom}. */
  public static ArtifactId random() {
    byte[] bits = new byte[16];
    RANDOM.nextBytes(bits);
    return new ArtifactId("art_" + HexFormat.of().formatHex(bits));
  }

  public static ArtifactId of(String value) {
    return new ArtifactId(value);
  }

  @Override
  public String toString() {
    return value;
  }

  private static String abbreviate(String s) {
    if (s == null) return "null";
    String clean = s.replaceAll("\\p{Cntrl}", "?");
    return clean.length() > 48 ? clean.substring(0, 47) + "…" : clean;
  }
}
