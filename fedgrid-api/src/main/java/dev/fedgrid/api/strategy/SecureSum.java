package dev.fedgrid.api.strategy;

import java.util.Objects;

/**
 * The one aggregate secure aggregation releases for a round, in place of individual updates.
 *
 * <p>The array is not copied: the sender must not change it after handing the record over.
 *
 * @param meanDifference the mean of the contributors' differences {@code local - global}, weighted
 *     by their weights (examples for {@link SecureInput.WeightedMean}, 1 each for {@link
 *     SecureInput.ClippedSum}), after quantization
 * @param totalWeight the sum of the contributors' weights
 * @param contributors the number of nodes whose input is in the sum, at least 1
 */
public record SecureSum(float[] meanDifference, long totalWeight, int contributors) {
  public SecureSum {
    Objects.requireNonNull(meanDifference, "meanDifference");
    if (contributors < 1) throw new IllegalArgumentException("a secure sum has at least one contributor, got " + contributors);
    if (totalWeight < contributors) throw new IllegalArgumentException("each contributor weighs at least 1, but " + contributors + " weigh " + totalWeight);
  }
}
