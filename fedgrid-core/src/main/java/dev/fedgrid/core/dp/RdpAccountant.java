package dev.fedgrid.core.dp;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Rényi-differential-privacy accountant for the Poisson-subsampled Gaussian mechanism: what
 * {@code (epsilon, delta)} a DP-FedAvg job spends, and which noise multiplier keeps it within a
 * budget.
 *
 * <h2>Algorithm</h2>
 *
 * A round that samples each node with probability {@code q}, clips every update to L2 norm {@code
 * C} and adds {@code N(0, (sigma C)^2)} noise to their sum is one step of the sampled Gaussian
 * mechanism with noise multiplier {@code sigma}. For each order {@code alpha} in a fixed list the
 * accountant keeps the RDP {@code eps_alpha} of everything composed so far:
 *
 * <ul>
 *   <li>one step costs {@code log(A_alpha) / (alpha - 1)} (Mironov, Talwar, Zhang 2019, "Rényi
 *       Differential Privacy of the Sampled Gaussian Mechanism"; exact binomial sum for integer
 *       orders, the series of their Section 3.3 for fractional ones; {@code alpha / (2 sigma^2)}
 *       without sampling, Mironov 2017, "Rényi Differential Privacy", Proposition 7); see {@link
 *       SampledGaussian} for the computation and its numerics;
 *   <li>RDP composes additively (Mironov 2017, Proposition 1): {@code T} steps cost {@code T} times
 *       one step, and steps with different {@code (sigma, q)} add up.
 * </ul>
 *
 * {@link #epsilon(double)} converts to {@code (epsilon, delta)}-DP with the bound of Canonne, Kamath
 * and Steinke 2020, "The Discrete Gaussian for Differential Privacy", Proposition 12 (also Balle et
 * al. 2020, "Hypothesis Testing Interpretations and Renyi Differential Privacy", Theorem 21), as
 * Google's {@code dp_accounting.rdp.compute_epsilon} does:
 *
 * <pre>
 *   epsilon = min over alpha of  eps_alpha + log1p(-1/alpha) - (log delta + log alpha) / (alpha - 1),
 * </pre>
 *
 * taking 0 where the KL bound {@code delta^2 >= 1 - exp(-eps_alpha)} already holds, and skipping
 * orders at or below 1.01, where the bound is numerically unstable. {@link #epsilonClassic(double)}
 * gives Mironov's original bound {@code eps_alpha + log(1/delta) / (alpha - 1)} (Proposition 3) for
 * reference; it is never smaller.
 *
 * <p>{@link #noiseMultiplierFor} inverts the accountant by bisection on {@code sigma}, using that
 * every {@code eps_alpha}, and so {@code epsilon}, falls as {@code sigma} grows.
 *
 * <p>Cost of {@link #compose}: {@code O(sum of integer orders + K * fractional orders)}, about 1,500
 * log-space terms plus up to 1,000 per fractional order for {@link #DEFAULT_ORDERS}; well under a
 * millisecond to a few milliseconds. {@link #noiseMultiplierFor} composes about 60 times.
 *
 * <p>Immutable and thread-safe: {@link #compose} returns a new accountant.
 *
 * <pre>{@code
 * // a job of 100 rounds, 10 of 1,000 nodes per round, noise multiplier 1.1, delta 1e-5
 * double epsilon = RdpAccountant.withDefaultOrders().compose(1.1, 10 / 1000.0, 100).epsilon(1e-5).epsilon();
 * }</pre>
 */
public final class RdpAccountant {
  /**
   * The orders used by default: the integer and fractional orders of TensorFlow Privacy's DP-SGD
   * tools, dense near 1 (small epsilon) and reaching 512 (large epsilon or tiny delta).
   */
  public static final List<Double> DEFAULT_ORDERS =
      List.of(
          1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 20.0, 24.0, 28.0, 32.0, 48.0, 64.0,
          128.0, 256.0, 512.0);

  /** Bisection stops when the bracket is this small relative to its upper end. */
  private static final double SIGMA_TOLERANCE = 1e-10;
  private static final double MAX_SIGMA = 1e7;

  private final double[] orders;
  private final double[] rdp;

  private RdpAccountant(double[] orders, double[] rdp) {
    this.orders = orders;
    this.rdp = rdp;
  }

  /** An accountant over {@link #DEFAULT_ORDERS} with nothing spent yet. */
  public static RdpAccountant withDefaultOrders() {
    return withOrders(DEFAULT_ORDERS.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /**
   * An accountant over the given orders with nothing spent yet.
   *
   * @param orders one or more finite Rényi orders, each greater than 1
   * @throws InvalidRequestException with code {@code INVALID_ORDERS} otherwise
   */
  public static RdpAccountant withOrders(double... orders) {
    Objects.requireNonNull(orders, "orders");
    if (orders.length == 0) {
      throw new InvalidRequestException("INVALID_ORDERS", "an RDP accountant needs at least one order; use RdpAccountant.withDefaultOrders()");
    }
    for (double a : orders) {
      if (!(a > 1) || !Double.isFinite(a)) {
        throw new InvalidRequestException("INVALID_ORDERS", "Rényi orders must be finite and greater than 1, got " + a, Map.of("order", a));
      }
    }
    return new RdpAccountant(orders.clone(), new double[orders.length]);
  }

  /**
   * This accountant plus {@code steps} rounds of the sampled Gaussian mechanism.
   *
   * @param noiseMultiplier {@code sigma}, the noise standard deviation divided by the clip norm; 0
   *     means no noise and an infinite cost
   * @param samplingRate {@code q}, the probability that a given node takes part in a round, in [0,
   *     1]; for a job, nodes per round divided by the nodes eligible
   * @param steps the number of rounds, at least 0
   * @throws InvalidRequestException with code {@code INVALID_NOISE_MULTIPLIER}, {@code
   *     INVALID_SAMPLING_RATE} or {@code INVALID_STEPS}
   */
  public RdpAccountant compose(double noiseMultiplier, double samplingRate, long steps) {
    checkSigma(noiseMultiplier);
    checkRate(samplingRate);
    if (steps < 0) throw new InvalidRequestException("INVALID_STEPS", "the number of steps must be at least 0, got " + steps);
    double[] next = rdp.clone();
    if (steps > 0) {
      for (int i = 0; i < orders.length; i++) next[i] += steps * SampledGaussian.rdp(noiseMultiplier, samplingRate, orders[i]);
    }
    return new RdpAccountant(orders, next);
  }

  /** The orders, in the order given. */
  public List<Double> orders() {
    return Arrays.stream(orders).boxed().toList();
  }

  /** The RDP spent so far at each of {@link #orders()}, as a new array; entries may be infinite. */
  public double[] rdp() {
    return rdp.clone();
  }

  /**
   * The {@code (epsilon, delta)} guarantee of everything composed so far, by the conversion of
   * Canonne, Kamath and Steinke 2020 (see the class comment).
   *
   * @param delta in (0, 1)
   * @throws InvalidRequestException with code {@code INVALID_DELTA}
   */
  public PrivacyGuarantee epsilon(double delta) {
    return epsilon(orders, rdp, delta);
  }

  /**
   * The {@code (epsilon, delta)} guarantee by Mironov's original conversion {@code eps_alpha +
   * log(1/delta) / (alpha - 1)}; never smaller than {@link #epsilon(double)}.
   *
   * @param delta in (0, 1)
   * @throws InvalidRequestException with code {@code INVALID_DELTA}
   */
  public PrivacyGuarantee epsilonClassic(double delta) {
    checkDelta(delta);
    double best = Double.POSITIVE_INFINITY;
    double order = Double.NaN;
    for (int i = 0; i < orders.length; i++) {
      double eps = rdp[i] - Math.log(delta) / (orders[i] - 1);
      if (eps < best) {
        best = eps;
        order = orders[i];
      }
    }
    return new PrivacyGuarantee(Math.max(0, best), delta, order);
  }

  /**
   * The smallest noise multiplier {@code sigma} (within a relative 1e-10) such that this accountant
   * plus {@code steps} rounds at {@code (sigma, samplingRate)} stays within {@code targetEpsilon}
   * at {@code delta}. On a fresh accountant that is the noise a job needs; on one that has spent
   * budget, the noise the remaining rounds need.
   *
   * @throws InvalidRequestException with code {@code INVALID_EPSILON}, {@code INVALID_DELTA}, {@code
   *     INVALID_SAMPLING_RATE} or {@code INVALID_STEPS}; or {@code EPSILON_UNREACHABLE} when even
   *     {@code sigma = 1e7} exceeds the target, typically because the budget is already spent
   */
  public double noiseMultiplierFor(double targetEpsilon, double delta, double samplingRate, long steps) {
    if (!(targetEpsilon > 0) || !Double.isFinite(targetEpsilon)) {
      throw new InvalidRequestException("INVALID_EPSILON", "the target epsilon must be finite and greater than 0, got " + targetEpsilon);
    }
    checkDelta(delta);
    double hi = 1;
    while (epsilonAt(hi, delta, samplingRate, steps) > targetEpsilon) {
      hi *= 2;
      if (hi > MAX_SIGMA) {
        throw new InvalidRequestException(
            "EPSILON_UNREACHABLE",
            "no noise multiplier up to " + MAX_SIGMA + " keeps epsilon within " + targetEpsilon + " at delta " + delta
                + "; the epsilon already spent is " + epsilon(delta).epsilon() + "; raise the budget or run fewer rounds",
            Map.of("targetEpsilon", targetEpsilon, "delta", delta));
      }
    }
    double lo = 0;
    for (int i = 0; i < 200 && hi - lo > SIGMA_TOLERANCE * hi; i++) {
      double mid = 0.5 * (lo + hi);
      if (epsilonAt(mid, delta, samplingRate, steps) > targetEpsilon) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  private double epsilonAt(double sigma, double delta, double samplingRate, long steps) {
    return compose(sigma, samplingRate, steps).epsilon(delta).epsilon();
  }

  /** The conversion of {@link #epsilon(double)} for any orders and RDP values. */
  static PrivacyGuarantee epsilon(double[] orders, double[] rdp, double delta) {
    checkDelta(delta);
    double logDelta = Math.log(delta);
    double best = Double.POSITIVE_INFINITY;
    double order = Double.NaN;
    for (int i = 0; i < orders.length; i++) {
      double a = orders[i];
      double r = rdp[i];
      double eps;
      if (delta * delta + Math.expm1(-r) > 0) eps = 0; // KL bound: delta <= sqrt(1 - exp(-eps_alpha))
      else if (a > 1.01) eps = r + Math.log1p(-1 / a) - (logDelta + Math.log(a)) / (a - 1);
      else eps = Double.POSITIVE_INFINITY;
      if (eps < best) {
        best = eps;
        order = a;
      }
    }
    return new PrivacyGuarantee(Math.max(0, best), delta, order);
  }

  private static void checkSigma(double sigma) {
    if (!(sigma >= 0) || !Double.isFinite(sigma)) {
      throw new InvalidRequestException("INVALID_NOISE_MULTIPLIER", "the noise multiplier must be finite and at least 0, got " + sigma);
    }
  }

  private static void checkRate(double q) {
    if (!(q >= 0 && q <= 1)) {
      throw new InvalidRequestException(
          "INVALID_SAMPLING_RATE", "the sampling rate must be in [0, 1] (nodes per round / eligible nodes), got " + q);
    }
  }

  private static void checkDelta(double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new InvalidRequestException("INVALID_DELTA", "delta must be in (0, 1), got " + delta + "; a common choice is below 1 / (number of nodes)");
    }
  }
}
