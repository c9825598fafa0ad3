package dev.fedgrid.core.dp;

import dev.fedgrid.api.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Poisson sampling of the nodes of a round: each member of the population is included
 * independently with probability {@code q}, the sampling that {@link RdpAccountant}'s subsampled
 * Gaussian mechanism assumes (Mironov, Talwar, Zhang 2019; McMahan et al. 2018, Algorithm 1). The
 * sample's size is Binomial({@code N}, {@code q}) and is never re-drawn: conditioning on its size
 * would make the inclusions dependent and void that analysis.
 *
 * <p>The generator must be a {@link java.security.SecureRandom} in production: the secrecy of who
 * was sampled is part of the guarantee. Cost: {@code O(N)}, one uniform per member. Stateless;
 * thread-safe when the generator is.
 */
public final class PoissonSampling {
  private PoissonSampling() {}

  /**
   * The members drawn, in population order; the whole population, without drawing, when {@code q =
   * 1}.
   *
   * @param q the inclusion probability, in (0, 1]
   * @throws InvalidRequestException with code {@code INVALID_SAMPLING_RATE} otherwise
   */
  public static <T> List<T> sample(List<T> population, double q, RandomGenerator random) {
    Objects.requireNonNull(population, "population");
    Objects.requireNonNull(random, "random");
    if (!(q > 0 && q <= 1)) {
      throw new InvalidRequestException("INVALID_SAMPLING_RATE", "the sampling rate must be in (0, 1], got " + q, Map.of("samplingRate", q));
    }
    if (q == 1) return List.copyOf(population);
    var drawn = new ArrayList<T>();
    for (T member : population) {
      if (random.nextDouble() < q) drawn.add(member);
    }
    return List.copyOf(drawn);
  }
}
