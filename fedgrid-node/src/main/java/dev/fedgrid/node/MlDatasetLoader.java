package dev.fedgrid.node;

import dev.fedgrid.ml.CsvDatasetReader;
import dev.fedgrid.ml.CsvOptions;
import dev.fedgrid.ml.IdxDatasetReader;
import dev.fedgrid.ml.IdxOptions;
import dev.fedgrid.ml.LocalDataset;

/**
 * Loads datasets with fedgrid-ml's readers: CSV files with {@link CsvDatasetReader}, IDX
 * directories with {@link IdxDatasetReader}. Stateless and thread-safe.
 */
final class MlDatasetLoader implements DatasetLoader {
  @Override
  public Loaded load(DatasetOption option) {
    LocalDataset dataset = switch (option.format()) {
      case CSV -> CsvDatasetReader.read(
          option.path(),
          CsvOptions.of(option.name(), option.label().orElseThrow())
              .withTestFraction(option.testFraction())
              .withSeed(option.seed())
              .withTags(option.tags())
              .withVisibility(option.visibility())
              .withIgnoreColumns(option.ignoreColumns())
              .withLabelKind(option.labelKind().orElse(null)));
      case IDX -> IdxDatasetReader.read(
          option.path(),
          IdxOptions.of(option.name())
              .withTestFraction(option.testFraction())
              .withSeed(option.seed())
              .withTags(option.tags())
              .withVisibility(option.visibility()));
    };
    return new Loaded(dataset.metadata(), dataset.train(), dataset.test());
  }
}
