package dev.fedgrid.api.governance;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.fedgrid.api.Ids;
import dev.fedgrid.api.InvalidRequestException;

/**
 * The id of a budget request or a release request; on the wire a string such as {@code
 * req_01jd3v6q9e8r4k2m7n5p0s1t2w}.
 */
public record RequestId(@JsonValue String value) implements Comparable<RequestId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "req";

  /** @throws InvalidRequestException when {@code value} is not a well-formed request id */
  @JsonCreator
  public RequestId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static RequestId random() {
    return new RequestId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static RequestId of(String value) {
    return new RequestId(value);
  }

  @Override
  public int compareTo(RequestId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
