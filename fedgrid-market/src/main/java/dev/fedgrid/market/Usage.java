package dev.fedgrid.market;

import dev.fedgrid.api.InvalidRequestException;
import java.util.EnumMap;
import java.util.Map;

/**
 * Values of usage counters, measured or estimated; absent counters are zero. Immutable.
 *
 * @param counts non-negative count per counter
 */
public record Usage(Map<UsageCounter, Long> counts) {
  /** No usage. */
  public static final Usage NONE = new Usage(Map.of());

  public Usage {
    for (var e : counts.entrySet()) {
      if (e.getValue() == null || e.getValue() < 0) {
        throw new InvalidRequestException(
            "INVALID_USAGE", "usage counter " + e.getKey().key() + " cannot be negative, got " + e.getValue());
      }
    }
    counts = counts.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(counts));
  }

  /** The count of {@code counter}, zero when absent. */
  public long get(UsageCounter counter) {
    return counts.getOrDefault(counter, 0L);
  }

  /** Usage with one counter set. */
  public Usage with(UsageCounter counter, long count) {
    var copy = new EnumMap<UsageCounter, Long>(UsageCounter.class);
    copy.putAll(counts);
    copy.put(counter, count);
    return new Usage(copy);
  }
}
