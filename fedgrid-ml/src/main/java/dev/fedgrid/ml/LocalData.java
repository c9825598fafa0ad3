package dev.fedgrid.ml;

import java.util.List;
import java.util.Objects;

/**
 * Examples held in memory on a node: {@code rows} examples whose raw (unscaled) features are laid
 * out row-major in {@code features} ({@code rows * width} floats, width the product of {@code
 * featureShape}), and one label per row (a class index 0..k-1 stored as a float, or a real value).
 * Never leaves the node.
 */
public record LocalData(List<Integer> featureShape, float[] features, float[] labels, int rows) {
  public LocalData {
    featureShape = List.copyOf(featureShape);
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(labels, "labels");
    if (labels.length != rows || (long) rows * width(featureShape) != features.length) {
      throw new IllegalArgumentException("features and labels do not match " + rows + " rows of shape " + featureShape);
    }
  }

  /** Features per example. */
  public int width() {
    return width(featureShape);
  }

  private static int width(List<Integer> shape) {
    int w = 1;
    for (int d : shape) w *= d;
    return w;
  }
}
