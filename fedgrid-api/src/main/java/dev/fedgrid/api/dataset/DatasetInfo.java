package dev.fedgrid.api.dataset;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.NodeId;
import java.time.Instant;
import java.util.Objects;

/** A dataset as the gateway's catalogue knows it: its id, the node holding it, and its metadata. */
public record DatasetInfo(DatasetId id, NodeId nodeId, DatasetMetadata metadata, Instant registeredAt) {
  public DatasetInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(registeredAt, "registeredAt");
  }

  public String name() {
    return metadata.name();
  }
}
