package dev.fedgrid.core.dp;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Local differential privacy on a node: the node clips its own update and noises it before it
 * leaves, so whoever receives it, the gateway included, sees only a noised update. The clipping and
 * the noise are the ones central DP-FedAvg uses ({@link Clipping}, {@link GaussianNoise}); only who
 * applies them differs.
 *
 * <h2>Algorithm</h2>
 *
 * From the global parameters {@code w} of a round and the node's locally trained {@code w_i}, with
 * clip norm {@code C} and noise multiplier {@code z}:
 *
 * <pre>
 *   Delta_i = clip(w_i - w, C)                          (Clipping.clipToNorm: ||Delta_i|| &lt;= C)
 *   sent    = w + Delta_i + N(0, (z C)^2 I)             (GaussianNoise, from a SecureRandom)
 * </pre>
 *
 * <h2>Privacy</h2>
 *
 * The node's report is the Gaussian mechanism applied to {@code Delta_i}. Its neighbouring relation
 * is <em>replace-one</em>: any two datasets the node might hold. Two clipped updates lie in the ball
 * of radius {@code C}, so they differ by at most {@code 2C} (the L2 sensitivity), and the noise is
 * {@code z C = (z / 2) * 2C}: the Gaussian mechanism with noise multiplier {@code z / 2}, which is
 * {@code (alpha, 2 alpha / z^2)}-RDP at every order {@code alpha > 1} (Mironov 2017, "Rényi
 * Differential Privacy", Corollary 3: {@code alpha Delta^2 / (2 sigma^2)} for sensitivity {@code
 * Delta} and noise {@code sigma}). Over {@code k} rounds in which the node takes part the RDP adds up
 * (Proposition 1) to {@code 2 k alpha / z^2}, converted to {@code (epsilon, delta)} as {@link
 * RdpAccountant#epsilon(double)} does. Add-remove neighbouring, which central DP uses, is
 * meaningless here: the gateway sees whether a node reported at all.
 *
 * <p>There is no amplification by sampling: amplification needs the sample to be secret from the
 * adversary, and here the adversary is the gateway, which drew the sample and sees who reports (the
 * node knows it was selected too). So a node's epsilon counts every round it takes part in, at
 * sampling rate 1, and a job that may ask a node in every round is accounted for all its rounds.
 * Post-processing (Dwork and Roth 2014, Proposition 2.1) covers everything the gateway computes from
 * the reports, with any aggregation strategy. The guarantee covers the parameters only; the example
 * count and training metrics a node sends with them are not noised.
 *
 * <p>Cost: {@code O(d)} time and one {@code d}-element array per update. Not thread-safe: one
 * instance per task.
 */
public final class LocalDp {
  private final double noiseMultiplier;
  private final double clipNorm;
  private final GaussianNoise noise;

  private LocalDp(double noiseMultiplier, double clipNorm, GaussianNoise noise) {
    this.noiseMultiplier = noiseMultiplier;
    this.clipNorm = clipNorm;
    this.noise = noise;
  }

  /**
   * The mechanism for one task, with noise from a platform-seeded {@link java.security.SecureRandom}.
   *
   * @param noiseMultiplier {@code z}, in (0, 100]
   * @param clipNorm {@code C}, in (0, 1e6]
   * @throws InvalidRequestException with code {@code INVALID_PRIVACY} when a value is out of those
   *     ranges (the ranges of {@link DifferentialPrivacy}); a node then refuses the task
   */
  public static LocalDp of(double noiseMultiplier, double clipNorm) {
    DifferentialPrivacy checked = DifferentialPrivacy.local(noiseMultiplier, clipNorm);
    return new LocalDp(checked.noiseMultiplier(), checked.clipNorm(), new GaussianNoise(checked.noiseMultiplier(), checked.clipNorm()));
  }

  /**
   * The mechanism with noise from {@code random}, for simulations that must be reproducible (a
   * real node uses {@link #of(double, double)}: a seeded generator would let anyone who knows the
   * seed remove the noise).
   */
  public static LocalDp seeded(double noiseMultiplier, double clipNorm, RandomGenerator random) {
    return of(noiseMultiplier, clipNorm, random);
  }

  /** For tests only: noise from a reproducible generator. */
  static LocalDp of(double noiseMultiplier, double clipNorm, RandomGenerator random) {
    DifferentialPrivacy checked = DifferentialPrivacy.local(noiseMultiplier, clipNorm);
    return new LocalDp(checked.noiseMultiplier(), checked.clipNorm(), new GaussianNoise(checked.noiseMultiplier(), checked.clipNorm(), random));
  }

  /** {@code z}. */
  public double noiseMultiplier() {
    return noiseMultiplier;
  }

  /** {@code C}. */
  public double clipNorm() {
    return clipNorm;
  }

  /**
   * What the node sends instead of {@code local}: {@code global + clip(local - global, C) + N(0, (z
   * C)^2)}, as a new array.
   *
   * @throws InvalidRequestException with code {@code SHAPE_MISMATCH} when the lengths differ, or
   *     {@code NON_FINITE_UPDATE} when the update holds NaN or an infinity
   */
  public float[] privatize(float[] local, float[] global) {
    float[] delta = Clipping.difference(local, global);
    Clipping.clipToNorm(delta, clipNorm);
    noise.addTo(delta);
    float[] sent = new float[delta.length];
    for (int i = 0; i < sent.length; i++) sent[i] = global[i] + delta[i];
    return sent;
  }

  /**
   * The {@code (epsilon, delta)} guarantee of one node's reports after {@code rounds} rounds it
   * took part in: the Gaussian mechanism with noise multiplier {@code z / 2} (sensitivity {@code
   * 2C}), composed in RDP over the rounds at sampling rate 1; epsilon 0 for 0 rounds.
   *
   * @param rounds at least 0
   */
  public static PrivacyGuarantee spent(DifferentialPrivacy privacy, long rounds) {
    Objects.requireNonNull(privacy, "privacy");
    return RdpAccountant.withDefaultOrders().compose(privacy.noiseMultiplier() / 2, 1.0, rounds).epsilon(privacy.delta());
  }
}
