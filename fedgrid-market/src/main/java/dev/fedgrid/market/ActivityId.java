package dev.fedgrid.market;

import dev.fedgrid.api.Ids;

/** The id of an activity; on the wire a string such as {@code act_01jd3v6q9e8r4k2m7n5p0s1t2w}. */
public record ActivityId(String value) implements Comparable<ActivityId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "act";

  /** @throws dev.fedgrid.api.InvalidRequestException when {@code value} is not a well-formed id */
  public ActivityId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static ActivityId random() {
    return new ActivityId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static ActivityId of(String value) {
    return new ActivityId(value);
  }

  @Override
  public int compareTo(ActivityId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
