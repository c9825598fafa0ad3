package dev.fedgrid.api.node;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where a node join token stands. */
public enum JoinTokenState {
  /** Not used, revoked or expired: it enrols one node. */
  @JsonProperty("active")
  ACTIVE,
  /** A node enrolled with it; it enrols no other. */
  @JsonProperty("used")
  USED,
  /** Its lifetime passed before a node used it. */
  @JsonProperty("expired")
  EXPIRED,
  /** An administrator revoked it before a node used it. */
  @JsonProperty("revoked")
  REVOKED;

  /** The name on the wire, such as {@code active}. */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
