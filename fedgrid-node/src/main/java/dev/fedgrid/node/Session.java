package dev.fedgrid.node;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.NodeId;
import java.time.Duration;
import java.util.Map;

/**
 * What a successful registration established: the node's id, its datasets by the ids the gateway
 * gave them, and the heartbeat interval. Immutable; a new registration makes a new session.
 */
record Session(NodeId nodeId, Map<DatasetId, DatasetLoader.Loaded> datasets, Duration heartbeatInterval) {
  Session {
    datasets = Map.copyOf(datasets);
  }
}
