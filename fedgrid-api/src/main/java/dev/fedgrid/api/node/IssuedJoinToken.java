package dev.fedgrid.api.node;

import dev.fedgrid.api.JoinTokenId;
import java.time.Instant;
import java.util.Objects;

/**
 * A join token just issued: the secret, shown this once (the gateway keeps only its hash), to pass
 * to {@code fedgrid node start --join-token}. {@link #toString()} leaves the secret out.
 *
 * @param token the secret, {@code fgj_} followed by 43 base64url characters
 * @param id the token's id, for listing and revoking
 * @param expiresAt when it stops enrolling
 * @param nodeName the only node name it enrols, or {@code null} for any name
 */
public record IssuedJoinToken(String token, JoinTokenId id, Instant expiresAt, String nodeName) {
  public IssuedJoinToken {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  @Override
  public String toString() {
    return "IssuedJoinToken[id=" + id + ", expiresAt=" + expiresAt + ", nodeName=" + nodeName + "]";
  }
}
