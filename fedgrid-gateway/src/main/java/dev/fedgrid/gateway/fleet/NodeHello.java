package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.DatasetMetadata;
import java.util.List;
import java.util.Optional;

/**
 * A node introducing itself.
 *
 * @param nodeId the id it was given before, if any
 * @param token the token it was given before, if any (never logged)
 * @param name its operator's name for it
 */
public record NodeHello(
    Optional<NodeId> nodeId,
    Optional<String> token,
    String name,
    int cores,
    long memoryMib,
    String version,
    List<DatasetMetadata> datasets) {
  public NodeHello {
    datasets = List.copyOf(datasets);
  }

  @Override
  public String toString() {
    return "NodeHello[nodeId=" + nodeId + ", name=" + name + ", datasets=" + datasets.size() + "]";
  }
}
