package dev.fedgrid.client;

import dev.fedgrid.api.governance.AuditEvent;
import java.util.List;
import java.util.OptionalLong;

/**
 * One page of audit events, oldest first. Pass {@link #nextAfter()} as {@link AuditFilter#after()}
 * for the next page; the last page has none.
 *
 * <p>Immutable and thread-safe.
 *
 * @param items this page's events
 * @param nextAfter the sequence number to continue after, or {@code null} on the last page
 */
public record AuditPage(List<AuditEvent> items, Long nextAfter) {
  public AuditPage {
    items = items == null ? List.of() : List.copyOf(items);
  }

  /** Whether another page follows. */
  public boolean hasNext() {
    return nextAfter != null;
  }

  /** Where the next page starts, if there is one. */
  public OptionalLong next() {
    return nextAfter == null ? OptionalLong.empty() : OptionalLong.of(nextAfter);
  }
}
