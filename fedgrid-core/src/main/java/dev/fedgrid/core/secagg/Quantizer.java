package dev.fedgrid.core.secagg;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Maps float vectors to weighted residues modulo 2^b and sums of them back to a weighted mean, as
 * {@link SecAggConfig} describes. Stateless and thread-safe; the random generator of stochastic
 * rounding belongs to the caller.
 */
final class Quantizer {
  private final SecAggConfig config;
  private final double levels;
  private final double scale;

  Quantizer(SecAggConfig config) {
    this.config = config;
    this.levels = (double) ((1L << config.quantizationBits()) - 1);
    this.scale = levels / (2.0 * config.clip());
  }

  /**
   * The {@code length + 1} residues {@code w · q(x_i)} and {@code w}.
   *
   * @throws InvalidRequestException with code {@code SECAGG_BAD_INPUT} when the update has the wrong
   *     length or a non-finite value, or the weight is out of {@code [1, maxWeight]}
   */
  long[] quantize(float[] values, long weight, RandomGenerator random) {
    if (values.length != config.length()) {
      throw badInput("the update has " + values.length + " values but this SecAgg+ round sums vectors of " + config.length(), Map.of("actual", values.length));
    }
    if (weight < 1 || weight > config.maxWeight()) {
      throw badInput("the weight " + weight + " is outside [1, " + config.maxWeight() + "]; raise maxWeight in the round's configuration", Map.of("weight", weight));
    }
    long[] out = new long[config.maskedLength()];
    double clip = config.clip();
    boolean stochastic = config.rounding() == SecAggConfig.Rounding.STOCHASTIC;
    for (int i = 0; i < values.length; i++) {
      float x = values[i];
      if (!Float.isFinite(x)) throw badInput("value " + i + " of the update is " + x + "; only finite values can be aggregated", Map.of("index", i));
      double position = (Math.clamp(x, -clip, clip) + clip) * scale;
      long q = stochastic ? (long) Math.floor(position + random.nextDouble()) : (long) Math.rint(position);
      out[i] = Math.min(q, (long) levels) * weight;
    }
    out[values.length] = weight;
    return out;
  }

  /** The weighted mean of the dequantized inputs, from the sums of {@link #quantize} outputs. */
  float[] mean(long[] sums, long totalWeight) {
    float[] mean = new float[config.length()];
    double step = 2.0 * config.clip() / levels;
    for (int i = 0; i < mean.length; i++) mean[i] = (float) ((double) sums[i] / totalWeight * step - config.clip());
    return mean;
  }

  private static InvalidRequestException badInput(String message, Map<String, Object> details) {
    return new InvalidRequestException("SECAGG_BAD_INPUT", message, details);
  }
}
