package dev.fedgrid.gateway.access;

import dev.fedgrid.api.TokenId;
import java.time.Instant;

/**
 * A personal API token as listed: its id and dates, never its secret or hash. Login sessions are
 * tokens named {@code login}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the token's id, used to revoke it
 * @param name what its owner called it
 * @param createdAt when it was issued
 * @param expiresAt when it stops working
 * @param lastUsedAt when it last authenticated a call (updated at most once a minute), or null
 * @param revoked whether it was revoked
 */
public record TokenInfo(TokenId id, String name, Instant createdAt, Instant expiresAt, Instant lastUsedAt, boolean revoked) {}
