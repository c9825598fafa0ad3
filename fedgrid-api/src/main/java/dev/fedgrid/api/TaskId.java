package dev.fedgrid.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The id of a task; on the wire a string such as {@code task_01jd3v6q9e8r4k2m7n5p0s1t2w}. */
public record TaskId(@JsonValue String value) implements Comparable<TaskId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "task";

  /** @throws InvalidRequestException when {@code value} is not a well-formed task id */
  @JsonCreator
  public TaskId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static TaskId random() {
    return new TaskId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static TaskId of(String value) {
    return new TaskId(value);
  }

  @Override
  public int compareTo(TaskId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
