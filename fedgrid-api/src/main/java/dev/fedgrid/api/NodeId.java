package dev.fedgrid.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The id of a node; on the wire a string such as {@code node_01jd3v6q9e8r4k2m7n5p0s1t2w}. */
public record NodeId(@JsonValue String value) implements Comparable<NodeId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "node";

  /** @throws InvalidRequestException when {@code value} is not a well-formed node id */
  @JsonCreator
  public NodeId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static NodeId random() {
    return new NodeId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static NodeId of(String value) {
    return new NodeId(value);
  }

  @Override
  public int compareTo(NodeId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
