package dev.fedgrid.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The id of a node join token (not its secret); on the wire a string such as {@code
 * join_01jd3v6q9e8r4k2m7n5p0s1t2w}. Safe to show and log: it names a token for listing and
 * revoking, and enrols nothing.
 */
public record JoinTokenId(@JsonValue String value) implements Comparable<JoinTokenId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "join";

  /** @throws InvalidRequestException when {@code value} is not a well-formed join token id */
  @JsonCreator
  public JoinTokenId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static JoinTokenId random() {
    return new JoinTokenId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static JoinTokenId of(String value) {
    return new JoinTokenId(value);
  }

  @Override
  public int compareTo(JoinTokenId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
