package dev.fedgrid.core.round;

import dev.fedgrid.api.job.SecureAggregation;
import dev.fedgrid.api.strategy.SecureInput;
import dev.fedgrid.core.secagg.SecAggConfig;
import java.util.Objects;

/**
 * How a round runs secure aggregation: the job's {@link SecureAggregation} settings plus what only
 * the caller knows, the largest weight a node may give its input.
 *
 * @param settings the job's settings, with the range resolved
 * @param maxWeight the largest number of examples a node may weigh its difference with: the largest
 *     catalogued training row count of the job's datasets; a node claiming more refuses to take part
 */
public record SecAggPlan(SecureAggregation settings, long maxWeight) {
  public SecAggPlan {
    Objects.requireNonNull(settings, "settings");
    if (settings.range() == null) throw new IllegalArgumentException("the secure aggregation range must be resolved (JobSpec fills it in)");
    if (maxWeight < 1) throw new IllegalArgumentException("maxWeight must be at least 1, got " + maxWeight);
  }

  /**
   * The round's SecAgg+ configuration for {@code clients} participants sending {@code length}
   * values. {@code k} is raised by one when {@code n k} is odd (no k-regular graph on n nodes exists
   * then); DP-FedAvg's clipped sum is unweighted and rounded stochastically (unbiased before the
   * noise), the weighted mean rounded to nearest.
   *
   * @throws dev.fedgrid.api.InvalidRequestException with code {@code SECAGG_INVALID_CONFIG} or
   *     {@code SECAGG_OVERFLOW_RISK} as {@link SecAggConfig} does
   */
  public SecAggConfig config(int clients, int length, SecureInput input) {
    boolean clipped = input instanceof SecureInput.ClippedSum;
    var builder = SecAggConfig.builder(clients, length)
        .clip(settings.range().floatValue())
        .quantizationBits(settings.quantizationBits())
        .maxWeight(clipped ? 1 : maxWeight)
        .rounding(clipped ? SecAggConfig.Rounding.STOCHASTIC : SecAggConfig.Rounding.NEAREST);
    Integer k = settings.neighbours();
    if (k != null) builder.neighbours((long) clients * k % 2 != 0 && k < clients - 1 ? k + 1 : k);
    if (settings.threshold() != null) builder.threshold(settings.threshold());
    return builder.build();
  }
}
