package dev.fedgrid.api.dataset;

import dev.fedgrid.api.InvalidRequestException;

/**
 * Summary statistics of one numeric feature column over a dataset's training split. Only
 * aggregates are kept: no minimum, maximum or quantile, since each of those is a single row's
 * value.
 *
 * @param name the column's header
 * @param count number of values
 * @param mean arithmetic mean
 * @param stddev population standard deviation
 */
public record ColumnStats(String name, long count, double mean, double stddev) {
  public ColumnStats {
    if (name == null || name.isEmpty() || name.length() > 256) {
      throw new InvalidRequestException("INVALID_DATASET", "a column name must have 1 to 256 characters");
    }
    if (count < 0 || !Double.isFinite(mean) || !Double.isFinite(stddev) || stddev < 0) {
      throw new InvalidRequestException("INVALID_DATASET", "column " + name + " has invalid statistics");
    }
  }
}
