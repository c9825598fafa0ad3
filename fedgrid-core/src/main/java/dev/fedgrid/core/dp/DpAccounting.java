package dev.fedgrid.core.dp;

import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import java.util.Objects;

/**
 * The epsilon a job with differential privacy spends: the one function the gateway's plan, budget
 * reservation and per-round spending, and the command line's display all call, so that they agree.
 *
 * <ul>
 *   <li><b>Central</b> (DP-FedAvg): each round is one step of the sampled Gaussian mechanism with
 *       the job's noise multiplier {@code z} and sampling rate {@code q = sampleFraction}, composed
 *       over the rounds by {@link RdpAccountant} (see {@link CentralDp}). With {@code q < 1} the
 *       privacy amplification by sampling lowers epsilon per round.
 *   <li><b>Local</b>: per node, the Gaussian mechanism with sensitivity {@code 2C} in every round the
 *       node may take part in, at sampling rate 1 whatever {@code sampleFraction} is: see {@link
 *       LocalDp}. The figure is an upper bound for a node sampled in fewer rounds.
 * </ul>
 *
 * <p>Cost: {@code O(orders)} to a few milliseconds per call ({@link RdpAccountant#compose}).
 * Stateless and thread-safe.
 */
public final class DpAccounting {
  private DpAccounting() {}

  /**
   * The sampling rate the accountant may use: {@code sampleFraction} for central DP; 1 for local
   * DP, where the gateway, the adversary, knows who was sampled.
   */
  public static double samplingRate(DifferentialPrivacy privacy, double sampleFraction) {
    return privacy.mode() == PrivacyMode.LOCAL ? 1.0 : sampleFraction;
  }

  /**
   * The {@code (epsilon, delta)} guarantee after {@code rounds} completed rounds, at the job's
   * {@code delta}; epsilon 0 for 0 rounds.
   *
   * @param sampleFraction the job's {@code q}, in (0, 1]
   * @param rounds at least 0
   */
  public static PrivacyGuarantee spent(DifferentialPrivacy privacy, double sampleFraction, long rounds) {
    Objects.requireNonNull(privacy, "privacy");
    if (privacy.mode() == PrivacyMode.LOCAL) return LocalDp.spent(privacy, rounds);
    return RdpAccountant.withDefaultOrders().compose(privacy.noiseMultiplier(), sampleFraction, rounds).epsilon(privacy.delta());
  }

  /**
   * The epsilon of a job's first {@code rounds} rounds.
   *
   * @throws IllegalArgumentException when the job has no differential privacy
   */
  public static double epsilon(JobSpec spec, long rounds) {
    if (spec.privacy() == null) throw new IllegalArgumentException("job '" + spec.name() + "' has no differential privacy, so spends no epsilon");
    return spent(spec.privacy(), spec.sampleFraction(), rounds).epsilon();
  }
}
