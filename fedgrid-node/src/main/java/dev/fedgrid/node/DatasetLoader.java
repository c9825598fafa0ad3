package dev.fedgrid.node;

import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.ml.LocalData;
import java.util.Objects;

/**
 * Reads a dataset named on the command line into memory. The daemon uses {@link MlDatasetLoader}
 * (the readers of fedgrid-ml); tests substitute rows made in code.
 */
@FunctionalInterface
interface DatasetLoader {
  /**
   * Loads the rows and computes the metadata the gateway may see.
   *
   * @throws dev.fedgrid.api.InvalidRequestException when the file is missing or malformed; the
   *     message names the dataset and path but no row
   */
  Loaded load(DatasetOption option);

  /**
   * A dataset in memory: the metadata that may leave the node, and the rows that never do.
   * Immutable by convention (the arrays are shared).
   */
  record Loaded(DatasetMetadata metadata, LocalData train, LocalData test) {
    public Loaded {
      Objects.requireNonNull(metadata, "metadata");
      Objects.requireNonNull(train, "train");
      Objects.requireNonNull(test, "test");
    }
  }
}
