package dev.fedgrid.core.dp;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Map;

/**
 * A clip norm that follows a quantile of the nodes' update norms, learned privately from round to
 * round (Andrew, Thakkar, McMahan, Ramaswamy 2021, "Differentially Private Learning with Adaptive
 * Clipping", NeurIPS; Algorithm 1 with the geometric update).
 *
 * <h2>Algorithm</h2>
 *
 * In a round with clip norm {@code C}, each participating node {@code i} has the bit {@code b_i = 1}
 * when {@code ||Delta_i|| <= C} ({@link #withinClip}). With {@code m} the <em>expected</em> number of
 * nodes per round, {@link #update} forms the noisy fraction of unclipped updates and moves {@code C}
 * geometrically towards the target quantile {@code gamma}:
 *
 * <pre>
 *   bbar = 1/2 + ( sum_i (b_i - 1/2) + N(0, sigma_b^2) ) / m
 *   C   &lt;- C * exp( -eta_C (bbar - gamma) )
 * </pre>
 *
 * Summing {@code b_i - 1/2} rather than {@code b_i} gives the count a sensitivity of 1/2 under adding
 * or removing a node, the figure the paper's privacy analysis uses; when exactly {@code m} nodes take
 * part it equals the paper's {@code (sum_i b_i + noise) / m}. Too many unclipped updates ({@code bbar >
 * gamma}) shrink {@code C}; too few grow it. Defaults (the paper's): {@code C_0 = 0.1}, {@code gamma =
 * 0.5}, {@code eta_C = 0.2}, {@code sigma_b = m / 20}.
 *
 * <h2>Privacy</h2>
 *
 * The count is a second Gaussian query on the same sampled nodes, with noise multiplier {@code 2
 * sigma_b} (noise {@code sigma_b} over sensitivity 1/2). Two Gaussian queries with multipliers {@code
 * z_Delta} and {@code 2 sigma_b} cost, at every RDP order, as much as one with {@code z} where {@code
 * z^-2 = z_Delta^-2 + (2 sigma_b)^-2} (Mironov 2017, Proposition 7 and composition). So to spend what
 * a job would spend with noise multiplier {@code z} and fixed clipping, add noise to the update sum
 * with {@link #updateNoiseMultiplier} {@code z_Delta = (z^-2 - (2 sigma_b)^-2)^(-1/2)} (the paper's
 * Theorem 1) and account the job with {@code z}. With the default {@code sigma_b = m / 20} and {@code
 * m = 100}, {@code z = 1} becomes {@code z_Delta = 1.005}.
 *
 * <p>Cost: O(1) per round. Not thread-safe: one instance per job, updated by the round driver.
 */
public final class AdaptiveClip {
  /** The paper's initial clip norm. */
  public static final double DEFAULT_INITIAL_CLIP = 0.1;
  /** The paper's target quantile: the median update norm. */
  public static final double DEFAULT_TARGET_QUANTILE = 0.5;
  /** The paper's clip learning rate for the geometric update. */
  public static final double DEFAULT_LEARNING_RATE = 0.2;

  private final double targetQuantile;
  private final double learningRate;
  private final double expectedNodesPerRound;
  private final GaussianNoise countNoise;
  private double clipNorm;

  /**
   * Adaptive clipping with the paper's defaults: initial clip 0.1, target quantile 0.5, learning
   * rate 0.2 and count noise {@code expectedNodesPerRound / 20}.
   *
   * @param expectedNodesPerRound {@code m}, the expected number of nodes per round, at least 1
   */
  public static AdaptiveClip withDefaults(double expectedNodesPerRound) {
    return new AdaptiveClip(DEFAULT_INITIAL_CLIP, DEFAULT_TARGET_QUANTILE, DEFAULT_LEARNING_RATE, expectedNodesPerRound, expectedNodesPerRound / 20);
  }

  /**
   * Adaptive clipping with noise from a platform-seeded {@link java.security.SecureRandom}.
   *
   * @param initialClip {@code C_0}, finite and greater than 0
   * @param targetQuantile {@code gamma}, in [0, 1]
   * @param learningRate {@code eta_C}, finite and at least 0
   * @param expectedNodesPerRound {@code m}, finite and at least 1
   * @param countNoiseStd {@code sigma_b}, finite and at least 0 (0 spends no privacy only if the
   *     clip norm is public; otherwise the count is released without protection)
   * @throws InvalidRequestException with code {@code INVALID_ADAPTIVE_CLIP} when a value is out of
   *     range
   */
  public AdaptiveClip(double initialClip, double targetQuantile, double learningRate, double expectedNodesPerRound, double countNoiseStd) {
    this(initialClip, targetQuantile, learningRate, expectedNodesPerRound, new GaussianNoise(checkStd(countNoiseStd), 1));
  }

  /** For tests only: count noise from a given source. */
  AdaptiveClip(double initialClip, double targetQuantile, double learningRate, double expectedNodesPerRound, GaussianNoise countNoise) {
    check(initialClip > 0 && Double.isFinite(initialClip), "the initial clip norm must be finite and greater than 0", initialClip);
    check(targetQuantile >= 0 && targetQuantile <= 1, "the target quantile must be in [0, 1]", targetQuantile);
    check(learningRate >= 0 && Double.isFinite(learningRate), "the clip learning rate must be finite and at least 0", learningRate);
    check(expectedNodesPerRound >= 1 && Double.isFinite(expectedNodesPerRound), "the expected number of nodes per round must be at least 1", expectedNodesPerRound);
    this.clipNorm = initialClip;
    this.targetQuantile = targetQuantile;
    this.learningRate = learningRate;
    this.expectedNodesPerRound = expectedNodesPerRound;
    this.countNoise = countNoise;
  }

  /** The clip norm {@code C} for the current round. */
  public double clipNorm() {
    return clipNorm;
  }

  /** The target quantile {@code gamma}. */
  public double targetQuantile() {
    return targetQuantile;
  }

  /** The standard deviation {@code sigma_b} of the noise on the count. */
  public double countNoiseStd() {
    return countNoise.standardDeviation();
  }

  /** The bit {@code b_i}: whether an update of this L2 norm fits under the current clip norm. */
  public boolean withinClip(double updateNorm) {
    return updateNorm <= clipNorm;
  }

  /**
   * Ends a round: moves the clip norm by the noisy fraction of updates that were within it, and
   * returns the clip norm for the next round.
   *
   * @param participants the number of nodes whose updates were aggregated this round, at least 0
   * @param withinClip how many of them had {@link #withinClip} true, in [0, participants]
   * @throws InvalidRequestException with code {@code INVALID_CLIP_COUNT}
   */
  public double update(int participants, int withinClip) {
    if (participants < 0 || withinClip < 0 || withinClip > participants) {
      throw new InvalidRequestException(
          "INVALID_CLIP_COUNT",
          "the count of unclipped updates must be between 0 and the " + participants + " participants, got " + withinClip,
          Map.of("participants", participants, "withinClip", withinClip));
    }
    double centred = withinClip - 0.5 * participants + countNoise.sample();
    double fraction = 0.5 + centred / expectedNodesPerRound;
    clipNorm *= Math.exp(-learningRate * (fraction - targetQuantile));
    return clipNorm;
  }

  /**
   * The noise multiplier {@code z_Delta = (z^-2 - (2 sigma_b)^-2)^(-1/2)} to put on the update sum so
   * that updates and the clip count together cost what noise multiplier {@code z} alone would.
   *
   * @param noiseMultiplier {@code z}, the job's overall noise multiplier, greater than 0
   * @param countNoiseStd {@code sigma_b}, greater than {@code z / 2}
   * @throws InvalidRequestException with code {@code INVALID_ADAPTIVE_CLIP} otherwise: the count
   *     noise alone would spend the whole budget; raise {@code sigma_b} or {@code z}
   */
  public static double updateNoiseMultiplier(double noiseMultiplier, double countNoiseStd) {
    check(noiseMultiplier > 0 && Double.isFinite(noiseMultiplier), "the noise multiplier must be finite and greater than 0", noiseMultiplier);
    check(countNoiseStd > noiseMultiplier / 2 && Double.isFinite(countNoiseStd),
        "the count noise must exceed half the noise multiplier " + noiseMultiplier + ", or the count alone spends the budget", countNoiseStd);
    double countMultiplier = 2 * countNoiseStd;
    double remaining = 1 / (noiseMultiplier * noiseMultiplier) - 1 / (countMultiplier * countMultiplier);
    return 1 / Math.sqrt(remaining);
  }

  private static double checkStd(double std) {
    check(std >= 0 && Double.isFinite(std), "the count noise standard deviation must be finite and at least 0", std);
    return std;
  }

  private static void check(boolean ok, String what, double value) {
    if (!ok) throw new InvalidRequestException("INVALID_ADAPTIVE_CLIP", what + ", got " + value, Map.of("value", value));
  }
}
