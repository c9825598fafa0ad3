package dev.fedgrid.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The id of a job; on the wire a string such as {@code job_01jd3v6q9e8r4k2m7n5p0s1t2w}. */
public record JobId(@JsonValue String value) implements Comparable<JobId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "job";

  /** @throws InvalidRequestException when {@code value} is not a well-formed job id */
  @JsonCreator
  public JobId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static JobId random() {
    return new JobId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static JobId of(String value) {
    return new JobId(value);
  }

  @Override
  public int compareTo(JobId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
