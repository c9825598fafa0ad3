package dev.fedgrid.api.governance;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.fedgrid.api.InvalidRequestException;
import java.util.Locale;
import java.util.Map;

/**
 * Where a budget or release request is: {@code pending -> approved | denied}. Both decisions are
 * final; after a denial a new request can be filed.
 */
public enum RequestState {
  @JsonProperty("pending")
  PENDING,
  @JsonProperty("approved")
  APPROVED,
  @JsonProperty("denied")
  DENIED;

  /** The lower-case wire name. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The state with this wire name.
   *
   * @throws InvalidRequestException with code {@code INVALID_QUERY} naming the states
   */
  public static RequestState of(String wireName) {
    for (RequestState s : values()) {
      if (s.wireName().equals(wireName)) return s;
    }
    throw new InvalidRequestException(
        "INVALID_QUERY", "'" + wireName + "' is not a request state; use pending, approved or denied", Map.of("parameter", "state"));
  }
}
