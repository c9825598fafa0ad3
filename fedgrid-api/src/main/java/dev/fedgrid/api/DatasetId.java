package dev.fedgrid.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The id of a dataset; on the wire a string such as {@code ds_01jd3v6q9e8r4k2m7n5p0s1t2w}. */
public record DatasetId(@JsonValue String value) implements Comparable<DatasetId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "ds";

  /** @throws InvalidRequestException when {@code value} is not a well-formed dataset id */
  @JsonCreator
  public DatasetId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static DatasetId random() {
    return new DatasetId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static DatasetId of(String value) {
    return new DatasetId(value);
  }

  @Override
  public int compareTo(DatasetId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
