package dev.fedgrid.api.dataset;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How a dataset is stored on its node. */
public enum DatasetFormat {
  /** Comma-separated values with a header row and a named label column. */
  @JsonProperty("csv")
  CSV,
  /** IDX image and label files (MNIST, Fashion-MNIST), optionally gzipped. */
  @JsonProperty("idx")
  IDX
}
