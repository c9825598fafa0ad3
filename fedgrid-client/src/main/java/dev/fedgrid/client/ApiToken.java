package dev.fedgrid.client;

import dev.fedgrid.api.TokenId;
import java.time.Instant;
import java.util.Objects;

/**
 * A personal API token as listed: its id and dates, never its secret (which is shown once, in the
 * {@link IssuedToken} that created it). Login sessions are tokens named {@code login}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the token's id ({@code tok_…}), used to revoke it
 * @param name what its owner called it
 * @param createdAt when it was issued
 * @param expiresAt when it stops working
 * @param lastUsedAt when it last authenticated a call, or {@code null} if never
 * @param revoked whether it was revoked
 */
public record ApiToken(TokenId id, String name, Instant createdAt, Instant expiresAt, Instant lastUsedAt, boolean revoked) {
  public ApiToken {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
  }
}
