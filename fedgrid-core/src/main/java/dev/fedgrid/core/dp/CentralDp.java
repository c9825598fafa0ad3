package dev.fedgrid.core.dp;

import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.strategy.Strategy;
import java.util.Objects;

/**
 * Central differential privacy for a job: the DP-FedAvg strategy and the epsilon it spends, the one
 * place the gateway and the command line turn to for both.
 *
 * <h2>Accounting</h2>
 *
 * Each round of DP-FedAvg is one step of the sampled Gaussian mechanism with the job's noise
 * multiplier {@code z} (with adaptive clipping too: the noise is split so that updates and clip
 * count together cost what {@code z} alone would; see {@link AdaptiveClip}). The sampling rate is
 * {@code q} = nodes per round / eligible nodes; in this cross-silo grid every eligible node takes
 * part in every round, so {@code q = 1} ({@link #SAMPLING_RATE}) and no amplification by sampling
 * is claimed. After {@code T} rounds the job has spent {@link RdpAccountant} composed {@code T}
 * times at {@code (z, 1)}, converted to {@code (epsilon, delta)} at the job's {@code delta}. The
 * guarantee is node-level: it covers adding or removing one node's whole dataset.
 *
 * <p>Cost: {@code O(orders)} per call (with {@code q = 1} each order's RDP is {@code alpha / (2
 * z^2)}). Stateless and thread-safe.
 */
public final class CentralDp {
  /** The probability that an eligible node takes part in a round: every one does. */
  public static final double SAMPLING_RATE = 1.0;

  private CentralDp() {}

  /**
   * A new DP-FedAvg strategy for one job; its rounds must be opened with {@link
   * Strategy#openRound(int, dev.fedgrid.api.model.Parameters, int) the expected number of updates}.
   *
   * @param privacy the job's settings (already validated by the record)
   * @param layout the job's model layout
   */
  public static Strategy fedAvg(DifferentialPrivacy privacy, ParameterLayout layout) {
    return new DpFedAvg(privacy, layout);
  }

  /**
   * The {@code (epsilon, delta)} guarantee after {@code rounds} completed rounds, at the job's
   * {@code delta}; epsilon 0 for 0 rounds.
   *
   * @param rounds at least 0
   */
  public static PrivacyGuarantee spent(DifferentialPrivacy privacy, int rounds) {
    Objects.requireNonNull(privacy, "privacy");
    return RdpAccountant.withDefaultOrders().compose(privacy.noiseMultiplier(), SAMPLING_RATE, rounds).epsilon(privacy.delta());
  }

  /** The epsilon of {@link #spent}. */
  public static double epsilon(DifferentialPrivacy privacy, int rounds) {
    return spent(privacy, rounds).epsilon();
  }
}
