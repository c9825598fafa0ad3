package dev.fedgrid.market;

import dev.fedgrid.api.Ids;

/** The id of a payment document (debit note or invoice); on the wire a string such as {@code doc_01jd3v6q9e8r4k2m7n5p0s1t2w}. */
public record DocumentId(String value) implements Comparable<DocumentId> {
  /** The prefix before the underscore. */
  public static final String PREFIX = "doc";

  /** @throws dev.fedgrid.api.InvalidRequestException when {@code value} is not a well-formed id */
  public DocumentId {
    Ids.check(PREFIX, value);
  }

  /** A fresh id stamped with the current time. */
  public static DocumentId random() {
    return new DocumentId(Ids.next(PREFIX));
  }

  /** Parses a wire id, with a clear error when it is malformed. */
  public static DocumentId of(String value) {
    return new DocumentId(value);
  }

  @Override
  public int compareTo(DocumentId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
