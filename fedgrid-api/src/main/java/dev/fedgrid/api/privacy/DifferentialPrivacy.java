package dev.fedgrid.api.privacy;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Map;

/**
 * Differential privacy for a job, central (the default) or local ({@link PrivacyMode}).
 *
 * <p><b>Central</b>: DP-FedAvg (McMahan, Ramage, Talwar, Zhang 2018, "Learning
 * Differentially Private Recurrent Language Models"). Each round the gateway clips every node's
 * update {@code local - global} to L2 norm {@code clipNorm}, sums the clipped updates unweighted,
 * adds Gaussian noise of standard deviation {@code noiseMultiplier * clipNorm} and divides by the
 * number of nodes expected in the round. The guarantee is node-level: it bounds what the released
 * models reveal about whether any one node (a whole dataset) took part. In JSON, for example
 * {@code {"noiseMultiplier": 1.1, "clipNorm": 1.0}}; fields left out take the defaults below.
 *
 * <p>With {@code adaptiveClipping} the clip norm starts at {@code clipNorm} and follows the {@code
 * targetQuantile} of the nodes' update norms, learned privately with rate {@code clipLearningRate}
 * (Andrew, Thakkar, McMahan, Ramaswamy 2021, "Differentially Private Learning with Adaptive
 * Clipping"); the noise is then split between the updates and the count of unclipped updates so
 * that the job spends what {@code noiseMultiplier} alone would. {@code targetQuantile} and {@code
 * clipLearningRate} apply only with adaptive clipping and are left {@code null} without it.
 *
 * <p><b>Local</b> ({@code "mode": "local"}): each node clips its own update to {@code clipNorm} and
 * adds Gaussian noise of standard deviation {@code noiseMultiplier * clipNorm} to every coordinate
 * before sending it, so the guarantee holds against the gateway as well. Adaptive clipping is
 * central only.
 *
 * @param noiseMultiplier {@code z}, the noise standard deviation over the clip norm; required, in
 *     (0, 100]
 * @param clipNorm the clip norm {@code C}, in (0, 1e6]; default 1.0, or 0.1 as the initial clip norm
 *     with adaptive clipping (the paper's default)
 * @param adaptiveClipping whether the clip norm adapts from round to round (default false)
 * @param targetQuantile the fraction of updates the adaptive clip norm aims to leave unclipped, in
 *     [0, 1]; default 0.5 with adaptive clipping
 * @param clipLearningRate {@code eta_C}, the step of the geometric clip norm update, in (0, 10];
 *     default 0.2 with adaptive clipping
 * @param delta the {@code delta} of the {@code (epsilon, delta)} guarantee, in (0, 0.1); default
 *     1e-5. Keep it well below 1 / (number of nodes).
 * @param mode who adds the noise: {@link PrivacyMode#CENTRAL} (the default) or {@link
 *     PrivacyMode#LOCAL}
 * @throws InvalidRequestException with code {@code INVALID_PRIVACY} when a value is missing or out
 *     of range
 */
public record DifferentialPrivacy(
    Double noiseMultiplier,
    Double clipNorm,
    Boolean adaptiveClipping,
    Double targetQuantile,
    Double clipLearningRate,
    Double delta,
    PrivacyMode mode) {
  /** The clip norm of fixed clipping when none is given. */
  public static final double DEFAULT_CLIP_NORM = 1.0;
  /** The initial clip norm of adaptive clipping when none is given (Andrew et al. 2021). */
  public static final double DEFAULT_INITIAL_CLIP_NORM = 0.1;
  /** The adaptive clip norm's target quantile when none is given: the median update norm. */
  public static final double DEFAULT_TARGET_QUANTILE = 0.5;
  /** The adaptive clip norm's learning rate when none is given (Andrew et al. 2021). */
  public static final double DEFAULT_CLIP_LEARNING_RATE = 0.2;
  /** The {@code delta} when none is given. */
  public static final double DEFAULT_DELTA = 1e-5;
  /** The largest noise multiplier accepted; beyond it the model learns nothing. */
  public static final double MAX_NOISE_MULTIPLIER = 100;
  /** The largest clip norm accepted. */
  public static final double MAX_CLIP_NORM = 1e6;

  public DifferentialPrivacy {
    if (noiseMultiplier == null) {
      fail("privacy needs a noiseMultiplier, the noise standard deviation over the clip norm (for example 1.0; larger spends less epsilon)");
    }
    check(noiseMultiplier > 0 && noiseMultiplier <= MAX_NOISE_MULTIPLIER, "the noise multiplier must be in (0, 100]", noiseMultiplier);
    mode = mode == null ? PrivacyMode.CENTRAL : mode;
    adaptiveClipping = adaptiveClipping != null && adaptiveClipping;
    if (adaptiveClipping && mode == PrivacyMode.LOCAL) {
      fail("adaptive clipping is central only: it learns the clip norm from a noised count over all nodes' updates, which a node alone cannot "
          + "do; leave out adaptiveClipping (--dp-adaptive) or use mode central");
    }
    clipNorm = clipNorm != null ? clipNorm : adaptiveClipping ? DEFAULT_INITIAL_CLIP_NORM : DEFAULT_CLIP_NORM;
    check(clipNorm > 0 && clipNorm <= MAX_CLIP_NORM, "the clip norm must be in (0, 1e6]", clipNorm);
    if (adaptiveClipping) {
      targetQuantile = targetQuantile == null ? DEFAULT_TARGET_QUANTILE : targetQuantile;
      clipLearningRate = clipLearningRate == null ? DEFAULT_CLIP_LEARNING_RATE : clipLearningRate;
      check(targetQuantile >= 0 && targetQuantile <= 1, "the target quantile of adaptive clipping must be in [0, 1]", targetQuantile);
      check(clipLearningRate > 0 && clipLearningRate <= 10, "the clip learning rate of adaptive clipping must be in (0, 10]", clipLearningRate);
    } else if (targetQuantile != null || clipLearningRate != null) {
      fail("targetQuantile and clipLearningRate apply only with adaptiveClipping; set adaptiveClipping to true or leave them out");
    }
    delta = delta == null ? DEFAULT_DELTA : delta;
    check(delta > 0 && delta < 0.1, "delta must be in (0, 0.1); a common choice is below 1 / (number of nodes), such as the default 1e-5", delta);
  }

  /** Central differential privacy with these settings ({@code null} for a default). */
  public DifferentialPrivacy(
      Double noiseMultiplier, Double clipNorm, Boolean adaptiveClipping, Double targetQuantile, Double clipLearningRate, Double delta) {
    this(noiseMultiplier, clipNorm, adaptiveClipping, targetQuantile, clipLearningRate, delta, null);
  }

  /** Central DP with fixed clipping at the default clip norm and delta, with this noise multiplier. */
  public static DifferentialPrivacy withNoise(double noiseMultiplier) {
    return new DifferentialPrivacy(noiseMultiplier, null, null, null, null, null);
  }

  /** Local DP at this noise multiplier and clip norm, with the default delta. */
  public static DifferentialPrivacy local(double noiseMultiplier, double clipNorm) {
    return new DifferentialPrivacy(noiseMultiplier, clipNorm, null, null, null, null, PrivacyMode.LOCAL);
  }

  private static void check(boolean ok, String what, double value) {
    if (!ok) {
      throw new InvalidRequestException("INVALID_PRIVACY", what + ", got " + value, Map.of("value", value));
    }
  }

  private static void fail(String message) {
    throw new InvalidRequestException("INVALID_PRIVACY", message);
  }
}
