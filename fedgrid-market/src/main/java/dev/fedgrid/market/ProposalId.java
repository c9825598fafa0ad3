package dev.fedgrid.market;

import dev.fedgrid.api.Ids;

/** The id of a proposal; on the wire a string such as {@code prop_01jd3v6q9e8r4k2m7n5p0s1t2w}. */
public record ProposalId(String value) implements Comparable<ProposalId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "prop";

  /** @throws dev.fedgrid.api.InvalidRequestException when {@code value} is not a well-formed id */
  public ProposalId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static ProposalId random() {
    return new ProposalId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static ProposalId of(String value) {
    return new ProposalId(value);
  }

  @Override
  public int compareTo(ProposalId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
