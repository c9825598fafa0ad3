package dev.fedgrid.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The id of a personal API token (never the secret itself); on the wire a string such as {@code tok_01jd3v6q9e8r4k2m7n5p0s1t2w}. */
public record TokenId(@JsonValue String value) implements Comparable<TokenId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "tok";

  /** @throws InvalidRequestException when {@code value} is not a well-formed token id */
  @JsonCreator
  public TokenId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static TokenId random() {
    return new TokenId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static TokenId of(String value) {
    return new TokenId(value);
  }

  @Override
  public int compareTo(TokenId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
