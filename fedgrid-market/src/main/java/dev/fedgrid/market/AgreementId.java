package dev.fedgrid.market;

import dev.fedgrid.api.Ids;

/** The id of an agreement; on the wire a string such as {@code agr_01jd3v6q9e8r4k2m7n5p0s1t2w}. */
public record AgreementId(String value) implements Comparable<AgreementId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "agr";

  /** @throws dev.fedgrid.api.InvalidRequestException when {@code value} is not a well-formed id */
  public AgreementId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static AgreementId random() {
    return new AgreementId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static AgreementId of(String value) {
    return new AgreementId(value);
  }

  @Override
  public int compareTo(AgreementId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
