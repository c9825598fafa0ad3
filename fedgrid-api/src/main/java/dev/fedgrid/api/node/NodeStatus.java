package dev.fedgrid.api.node;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Whether a node has been heard from recently. */
public enum NodeStatus {
  @JsonProperty("online")
  ONLINE,
  @JsonProperty("offline")
  OFFLINE
}
