package dev.fedgrid.core.dp;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Map;
import java.util.Objects;

/**
 * L2 clipping of model updates, which bounds each node's contribution to a sum (its sensitivity)
 * for central DP-FedAvg (McMahan, Ramage, Talwar, Zhang 2018, "Learning Differentially Private
 * Recurrent Language Models", Algorithm 1, the flat clipping {@code Delta * min(1, C / ||Delta||)}).
 *
 * <h2>Algorithm</h2>
 *
 * The norm is accumulated in double, so it is exact to about {@code d * 2^-53} relative for {@code d}
 * elements. Scaling is done in place in float; because each scaled element rounds by up to {@code
 * 2^-24} relative, the factor applied is {@code C / ||Delta||} shrunk by {@code 2^-22}, which
 * guarantees that the clipped update's norm (in exact arithmetic over its float values) is at most
 * {@code C}, as the privacy analysis assumes. Updates already within the bound are left untouched.
 *
 * <p>Cost: two passes over {@code d} elements, no allocation (one pass when no clipping is needed,
 * plus an {@code O(d)} array for {@link #difference}). Stateless and thread-safe; the arrays are the
 * caller's to guard.
 */
public final class Clipping {
  private static final double SHRINK = 1 - 0x1p-22;

  private Clipping() {}

  /**
   * The update a node contributes, {@code local - global}, as a new array.
   *
   * @throws InvalidRequestException with code {@code SHAPE_MISMATCH} when the lengths differ
   */
  public static float[] difference(float[] local, float[] global) {
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(global, "global");
    if (local.length != global.length) {
      throw new InvalidRequestException(
          "SHAPE_MISMATCH",
          "the node sent " + local.length + " parameters but the global model has " + global.length,
          Map.of("expected", global.length, "actual", local.length));
    }
    float[] delta = new float[local.length];
    for (int i = 0; i < delta.length; i++) delta[i] = local[i] - global[i];
    return delta;
  }

  /** The L2 norm of {@code values}, accumulated in double; NaN or infinite when a value is. */
  public static double l2Norm(float[] values) {
    double sum = 0;
    for (float v : values) sum += (double) v * v;
    return Math.sqrt(sum);
  }

  /**
   * Scales {@code update} in place so that its L2 norm is at most {@code clipNorm}, and returns the
   * factor applied: 1 when the update was already within the bound, otherwise slightly less than
   * {@code clipNorm / ||update||}.
   *
   * @param update an update (node parameters minus global parameters); modified in place
   * @param clipNorm the bound {@code C}, finite and greater than 0
   * @throws InvalidRequestException with code {@code INVALID_CLIP_NORM}, or {@code NON_FINITE_UPDATE}
   *     when the update holds NaN or an infinity (the update is then unchanged; drop the node's
   *     update for this round)
   */
  public static double clipToNorm(float[] update, double clipNorm) {
    Objects.requireNonNull(update, "update");
    if (!(clipNorm > 0) || !Double.isFinite(clipNorm)) {
      throw new InvalidRequestException("INVALID_CLIP_NORM", "the clip norm must be finite and greater than 0, got " + clipNorm);
    }
    double norm = l2Norm(update);
    if (!Double.isFinite(norm)) {
      throw new InvalidRequestException(
          "NON_FINITE_UPDATE", "the update holds NaN or infinite values and cannot be clipped; drop it from the round");
    }
    if (norm <= clipNorm) return 1;
    double scale = clipNorm / norm * SHRINK;
    float f = (float) scale;
    if (f > scale) f = Math.nextDown(f);
    for (int i = 0; i < update.length; i++) update[i] *= f;
    return f;
  }
}
