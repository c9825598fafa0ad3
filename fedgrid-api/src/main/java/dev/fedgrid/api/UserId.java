package dev.fedgrid.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The id of a user; on the wire a string such as {@code user_01jd3v6q9e8r4k2m7n5p0s1t2w}. */
public record UserId(@JsonValue String value) implements Comparable<UserId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "user";

  /** @throws InvalidRequestException when {@code value} is not a well-formed user id */
  @JsonCreator
  public UserId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static UserId random() {
    return new UserId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static UserId of(String value) {
    return new UserId(value);
  }

  @Override
  public int compareTo(UserId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
