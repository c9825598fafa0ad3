package dev.fedgrid.core.secagg;

import java.util.Objects;

/**
 * What a SecAgg+ round releases: the sum of the survivors' weighted quantized inputs and nothing
 * about any one of them.
 *
 * @param survivors the clients whose inputs are in the sum, ascending
 * @param sums {@code Σ w_u q_u[i]} over the survivors, exact (the configuration rules out wrap-around)
 * @param totalWeight {@code Σ w_u} over the survivors
 * @param mean the weighted mean of the survivors' dequantized inputs, {@code (sums[i] / totalWeight)
 *     · 2 clip / L - clip}
 */
public record SecAggResult(int[] survivors, long[] sums, long totalWeight, float[] mean) {
  public SecAggResult {
    Objects.requireNonNull(survivors, "survivors");
    Objects.requireNonNull(sums, "sums");
    Objects.requireNonNull(mean, "mean");
  }
}
