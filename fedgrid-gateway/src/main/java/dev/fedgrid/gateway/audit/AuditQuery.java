package dev.fedgrid.gateway.audit;

import dev.fedgrid.api.InvalidRequestException;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which audit events to list: every present filter must match.
 *
 * @param afterSeq only events with a greater sequence number (0 for all)
 * @param actor only this actor
 * @param action only this action, or every action starting with it when it ends with a dot
 *     ({@code "release."} matches {@code release.requested} and {@code release.approved})
 * @param target only events about this id
 * @param since only events at or after this time
 * @param until only events before this time
 * @param limit at most this many, 1 to {@value #MAX_LIMIT}
 */
public record AuditQuery(
    long afterSeq, Optional<String> actor, Optional<String> action, Optional<String> target, Optional<Instant> since, Optional<Instant> until, int limit) {
  public static final int MAX_LIMIT = 1000;

  public AuditQuery {
    if (afterSeq < 0) throw new InvalidRequestException("INVALID_AUDIT_QUERY", "after must be 0 or more, got " + afterSeq, Map.of("after", afterSeq));
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new InvalidRequestException("INVALID_AUDIT_QUERY", "limit must be in [1, " + MAX_LIMIT + "], got " + limit, Map.of("limit", limit));
    }
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(until, "until");
  }

  /** Every event, {@code limit} at a time. */
  public static AuditQuery all(int limit) {
    return new AuditQuery(0, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), limit);
  }

  /** The same filters, after another sequence number. */
  public AuditQuery after(long seq) {
    return new AuditQuery(seq, actor, action, target, since, until, limit);
  }

  /** The same filters, at most {@code limit} events. */
  public AuditQuery withLimit(int limit) {
    return new AuditQuery(afterSeq, actor, action, target, since, until, limit);
  }
}
