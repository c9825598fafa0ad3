package dev.fedgrid.api.dataset;

import dev.fedgrid.api.InvalidRequestException;
import java.util.List;

/**
 * The affine map nodes apply to every feature before training: {@code x' = (x - mean[j]) /
 * scale[j]}. For tabular data the gateway pools the nodes' column statistics into one scaling
 * shared by all nodes of a job, so no node's rows are needed; for images it is a constant (for
 * example mean 0, scale 255). Lists of length one apply to every feature.
 */
public record FeatureScaling(List<Double> mean, List<Double> scale) {
  public FeatureScaling {
    mean = List.copyOf(mean);
    scale = List.copyOf(scale);
    if (mean.isEmpty() || mean.size() != scale.size()) {
      throw new InvalidRequestException("INVALID_SCALING", "feature scaling needs as many means as scales, and at least one");
    }
    for (int i = 0; i < mean.size(); i++) {
      if (!Double.isFinite(mean.get(i)) || !(scale.get(i) > 0) || !Double.isFinite(scale.get(i))) {
        throw new InvalidRequestException("INVALID_SCALING", "feature " + i + " has a non-finite mean or a non-positive scale");
      }
    }
  }

  /** The identity map. */
  public static FeatureScaling identity() {
    return new FeatureScaling(List.of(0.0), List.of(1.0));
  }

  public double mean(int feature) {
    return mean.size() == 1 ? mean.get(0) : mean.get(feature);
  }

  public double scale(int feature) {
    return scale.size() == 1 ? scale.get(0) : scale.get(feature);
  }
}
