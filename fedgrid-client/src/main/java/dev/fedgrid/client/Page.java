package dev.fedgrid.client;

import java.util.List;
import java.util.Optional;

/**
 * One page of a paginated list, newest first. Pass {@link #nextCursor()} to the same call to get
 * the next page; the last page has none.
 *
 * <p>Immutable and thread-safe.
 *
 * @param items this page's items
 * @param nextCursor the opaque cursor of the next page, or {@code null} on the last page
 * @param <T> the item type
 */
public record Page<T>(List<T> items, String nextCursor) {
  public Page {
    items = List.copyOf(items);
  }

  /** Whether another page follows. */
  public boolean hasNext() {
    return nextCursor != null;
  }

  /** The next page's cursor, if any. */
  public Optional<String> next() {
    return Optional.ofNullable(nextCursor);
  }
}
