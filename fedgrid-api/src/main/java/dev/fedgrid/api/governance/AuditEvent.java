package dev.fedgrid.api.governance;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One entry of the gateway's append-only, hash-chained audit ledger: who did what to what, when.
 *
 * <p>{@code hash} is the lower-case hex SHA-256 over {@code previousHash} and an unambiguous
 * encoding of every other field, so editing, removing or reordering any event breaks the chain
 * from that event on. The first event's {@code previousHash} is 64 zeros.
 *
 * @param seq the position in the ledger, from 1, without gaps
 * @param at when the change was committed (UTC)
 * @param actor who did it: a user name, {@code node:<id>}, or {@code system}
 * @param action what happened, dotted lower case such as {@code job.submitted}, {@code
 *     login.failed}, {@code release.approved}
 * @param target what it happened to, such as a job, user, dataset or request id; empty when none
 * @param details further facts as text (never secrets, never data rows)
 * @param previousHash the hash of event {@code seq - 1}
 * @param hash this event's hash
 */
public record AuditEvent(
    long seq, Instant at, String actor, String action, String target, Map<String, String> details, String previousHash, String hash) {
  public AuditEvent {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(action, "action");
    target = target == null ? "" : target;
    details = details == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(details));
    Objects.requireNonNull(previousHash, "previousHash");
    Objects.requireNonNull(hash, "hash");
  }
}
