package dev.fedgrid.api.node;

import dev.fedgrid.api.JoinTokenId;
import dev.fedgrid.api.NodeId;
import java.time.Instant;
import java.util.Objects;

/**
 * A node join token as the gateway lists it: everything but the secret, which is shown once when
 * the token is issued ({@link IssuedJoinToken}) and never stored.
 *
 * @param id the token's id, for revoking
 * @param nodeName the only node name it enrols, or {@code null} for any name
 * @param state active, used, expired or revoked
 * @param createdBy the user who issued it
 * @param createdAt when it was issued
 * @param expiresAt when it stops enrolling
 * @param usedAt when a node enrolled with it, or {@code null}
 * @param nodeId the node it enrolled, or {@code null}
 * @param revokedAt when it was revoked, or {@code null}
 */
public record JoinToken(
    JoinTokenId id,
    String nodeName,
    JoinTokenState state,
    String createdBy,
    Instant createdAt,
    Instant expiresAt,
    Instant usedAt,
    NodeId nodeId,
    Instant revokedAt) {
  public JoinToken {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(createdBy, "createdBy");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}
