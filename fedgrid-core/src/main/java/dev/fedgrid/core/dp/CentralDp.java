package dev.fedgrid.core.dp;

import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.strategy.Strategy;
import java.util.Objects;

/**
 * Central differential privacy for a job: the DP-FedAvg strategy, and the epsilon it spends when
 * every node takes part in every round.
 *
 * <h2>Accounting</h2>
 *
 * Each round of DP-FedAvg is one step of the sampled Gaussian mechanism with the job's noise
 * multiplier {@code z} (with adaptive clipping too: the noise is split so that updates and clip
 * count together cost what {@code z} alone would; see {@link AdaptiveClip}) and sampling rate
 * {@code q}, the job's {@code sampleFraction}: each eligible node takes part in a round with
 * probability {@code q}, independently ({@link PoissonSampling}). After {@code T} rounds the job has
 * spent {@link RdpAccountant} composed {@code T} times at {@code (z, q)}, converted to {@code
 * (epsilon, delta)} at the job's {@code delta}. The guarantee is node-level: it covers adding or
 * removing one node's whole dataset. {@link #spent} is the case {@code q = 1}, every node in every
 * round; a job is accounted by {@link DpAccounting}, which adds {@code q} and local DP.
 *
 * <p>Cost: {@code O(orders)} per call (with {@code q = 1} each order's RDP is {@code alpha / (2
 * z^2)}). Stateless and thread-safe.
 */
public final class CentralDp {
  private CentralDp() {}

  /**
   * A new DP-FedAvg strategy for one job; its rounds must be opened with {@link
   * Strategy#openRound(int, dev.fedgrid.api.model.Parameters, double) the expected number of
   * updates}.
   *
   * @param privacy the job's settings (already validated by the record)
   * @param layout the job's model layout
   */
  public static Strategy fedAvg(DifferentialPrivacy privacy, ParameterLayout layout) {
    return new DpFedAvg(privacy, layout);
  }

  /**
   * The {@code (epsilon, delta)} guarantee after {@code rounds} completed rounds in which every
   * eligible node took part ({@code q = 1}), at the job's {@code delta}; epsilon 0 for 0 rounds.
   * Same as {@link DpAccounting#spent DpAccounting.spent(privacy, 1, rounds)}.
   *
   * @param rounds at least 0
   */
  public static PrivacyGuarantee spent(DifferentialPrivacy privacy, int rounds) {
    Objects.requireNonNull(privacy, "privacy");
    return DpAccounting.spent(privacy, 1.0, rounds);
  }

  /** The epsilon of {@link #spent}. */
  public static double epsilon(DifferentialPrivacy privacy, int rounds) {
    return spent(privacy, rounds).epsilon();
  }
}
