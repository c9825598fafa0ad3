package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.gateway.state.StateStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/**
 * The catalogue's datasets a job spec names, by id or by name (a name matches every node's dataset
 * of that name), each once, in the spec's order. Visibility comes from the catalogue: what the node
 * declared, or what a data owner set on the gateway.
 */
public final class JobDatasets {
  private JobDatasets() {}

  /**
   * Resolves the spec's dataset references.
   *
   * @throws NotFoundException with code {@code DATASET_NOT_FOUND} when a reference matches nothing
   */
  public static List<DatasetInfo> resolve(StateStore store, JobSpec spec) {
    var found = new LinkedHashMap<DatasetId, DatasetInfo>();
    for (String ref : spec.datasets()) {
      if (ref.startsWith(DatasetId.PREFIX + "_")) {
        DatasetId id = DatasetId.of(ref);
        DatasetInfo d = store.dataset(id).orElseThrow(() -> new NotFoundException("DATASET_NOT_FOUND", "no dataset has id " + id + "; see `fedgrid dataset list`"));
        found.putIfAbsent(d.id(), d);
      } else {
        List<DatasetInfo> named = store.datasets(Optional.of(ref));
        if (named.isEmpty()) {
          throw new NotFoundException("DATASET_NOT_FOUND", "no node has registered a dataset named '" + ref + "'; start a node with --dataset name=" + ref + ",... or see `fedgrid dataset list`");
        }
        named.forEach(d -> found.putIfAbsent(d.id(), d));
      }
    }
    return List.copyOf(found.values());
  }
}
