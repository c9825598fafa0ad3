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
 * @param joinToken the single-use join token a new node enrols with, if any (never logged)
 */
public record NodeHello(
    Optional<NodeId> nodeId,
    Optional<String> token,
    String name,
    int cores,
    long memoryMib,
    String version,
    List<DatasetMetadata> datasets,
    Optional<String> joinToken) {
  public NodeHello {
    datasets = List.copyOf(datasets);
    joinToken = joinToken == null ? Optional.empty() : joinToken;
  }

  /** A hello without a join token, as a known node sends when it returns. */
  public NodeHello(
      Optional<NodeId> nodeId, Optional<String> token, String name, int cores, long memoryMib, String version, List<DatasetMetadata> datasets) {
    this(nodeId, token, name, cores, memoryMib, version, datasets, Optional.empty());
  }

  @Override
  public String toString() {
    return "NodeHello[nodeId=" + nodeId + ", name=" + name + ", datasets=" + datasets.size() + "]";
  }
}
