package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.DatasetInfo;
import java.time.Duration;
import java.util.List;

/**
 * The gateway's answer to a {@link NodeHello}: the node's id and secret token (to present on every
 * later call; never logged), its datasets with their ids, and how often to send heartbeats.
 */
public record Registration(NodeId nodeId, String token, List<DatasetInfo> datasets, Duration heartbeatInterval) {
  public Registration {
    datasets = List.copyOf(datasets);
  }

  @Override
  public String toString() {
    return "Registration[nodeId=" + nodeId + ", datasets=" + datasets.size() + "]";
  }
}
