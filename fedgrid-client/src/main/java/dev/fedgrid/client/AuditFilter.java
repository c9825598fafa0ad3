package dev.fedgrid.client;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which audit events to list or follow: every set criterion must match; {@code null} matches all.
 * Build one with {@link #all()} and the {@code with} methods.
 *
 * <p>Immutable and thread-safe.
 *
 * @param actor only events by this actor (a user name, {@code node:<id>} or {@code system})
 * @param action only this action, or every action starting with it when it ends with a dot
 *     ({@code "release."})
 * @param target only events about this id
 * @param since only events at or after this time
 * @param until only events before this time (a followed stream ends once it has passed)
 * @param after only events with a greater sequence number (0 for all)
 * @param limit page size in [1, 1000] for {@link FedGridClient#auditEvents}, 0 for the gateway's
 *     default (100)
 */
public record AuditFilter(String actor, String action, String target, Instant since, Instant until, long after, int limit) {
  /** Every event. */
  public static AuditFilter all() {
    return new AuditFilter(null, null, null, null, null, 0, 0);
  }

  public AuditFilter withActor(String actor) {
    return new AuditFilter(actor, action, target, since, until, after, limit);
  }

  public AuditFilter withAction(String action) {
    return new AuditFilter(actor, action, target, since, until, after, limit);
  }

  public AuditFilter withTarget(String target) {
    return new AuditFilter(actor, action, target, since, until, after, limit);
  }

  public AuditFilter withSince(Instant since) {
    return new AuditFilter(actor, action, target, since, until, after, limit);
  }

  public AuditFilter withUntil(Instant until) {
    return new AuditFilter(actor, action, target, since, until, after, limit);
  }

  public AuditFilter withAfter(long after) {
    return new AuditFilter(actor, action, target, since, until, after, limit);
  }

  public AuditFilter withLimit(int limit) {
    return new AuditFilter(actor, action, target, since, until, after, limit);
  }

  /** The filter as a query string, {@code ""} or {@code "?actor=ana&..."}; {@code after} as given. */
  String query(long afterSeq, boolean withLimit) {
    var q = new ArrayList<String>();
    add(q, "actor", actor);
    add(q, "action", action);
    add(q, "target", target);
    add(q, "since", since == null ? null : since.toString());
    add(q, "until", until == null ? null : until.toString());
    if (afterSeq > 0) q.add("after=" + afterSeq);
    if (withLimit && limit != 0) q.add("limit=" + limit);
    return q.isEmpty() ? "" : "?" + String.join("&", q);
  }

  private static void add(List<String> q, String name, String value) {
    if (value != null && !value.isBlank()) q.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
  }
}
