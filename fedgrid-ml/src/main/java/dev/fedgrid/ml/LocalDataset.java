package dev.fedgrid.ml;

import dev.fedgrid.api.dataset.DatasetMetadata;
import java.util.Objects;

/**
 * A dataset loaded on its node: the metadata the node may tell the gateway, and the rows it never
 * sends, split into a training part and a held-out test part for federated evaluation.
 *
 * <p>Immutable by convention (the {@link LocalData} arrays are shared, not copied); safe to share
 * between threads as long as nobody writes to the arrays.
 *
 * @param metadata what the gateway may know: shape, row counts, label, column statistics
 * @param train the training split
 * @param test the test split, possibly with zero rows
 */
public record LocalDataset(DatasetMetadata metadata, LocalData train, LocalData test) {
  public LocalDataset {
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
    if (train.rows() != metadata.trainRows() || test.rows() != metadata.testRows()) {
      throw new IllegalArgumentException(
          "dataset " + metadata.name() + " declares " + metadata.trainRows() + " training and " + metadata.testRows() + " test rows but holds "
              + train.rows() + " and " + test.rows());
    }
    if (!train.featureShape().equals(metadata.featureShape()) || !test.featureShape().equals(metadata.featureShape())) {
      throw new IllegalArgumentException("dataset " + metadata.name() + " declares feature shape " + metadata.featureShape() + " but its rows have another");
    }
  }
}
