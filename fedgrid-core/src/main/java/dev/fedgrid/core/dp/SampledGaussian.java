package dev.fedgrid.core.dp;

/**
 * The Rényi divergence of one step of the sampled Gaussian mechanism, the kernel of {@link
 * RdpAccountant}.
 *
 * <h2>What is computed</h2>
 *
 * With {@code mu0 = N(0, sigma^2)} and {@code mu = (1 - q) N(0, sigma^2) + q N(1, sigma^2)} (a sum of
 * sensitivity 1, Poisson-sampled with rate {@code q}, plus noise of standard deviation {@code
 * sigma}), Mironov, Talwar and Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian
 * Mechanism" (arXiv:1908.10530), show that the mechanism is {@code (alpha, log(A_alpha) / (alpha -
 * 1))}-RDP with
 *
 * <pre>
 *   A_alpha = E_{z ~ mu0} [ (mu(z) / mu0(z))^alpha ],   mu(z) / mu0(z) = 1 - q + q exp((2z - 1) / (2 sigma^2)).
 * </pre>
 *
 * <b>Integer alpha</b> (Section 3.2): the binomial expansion is finite and every term positive,
 *
 * <pre>
 *   A_alpha = sum_{k=0..alpha} C(alpha, k) (1 - q)^(alpha - k) q^k exp((k^2 - k) / (2 sigma^2)).
 * </pre>
 *
 * <b>Fractional alpha</b> (Section 3.3): split the integral at {@code z0 = sigma^2 log(1/q - 1) +
 * 1/2}, where {@code q exp(..)} crosses {@code 1 - q}, and expand {@code (a + b)^alpha} in the smaller
 * of the two on each side; each Gaussian integral gives an {@code erfc}:
 *
 * <pre>
 *   A_alpha = sum_{i&gt;=0} C(alpha, i) [ q^i (1-q)^(alpha-i) exp((i^2-i)/(2 sigma^2)) erfc((i - z0)/(sqrt2 sigma)) / 2
 *                                   + q^(alpha-i) (1-q)^i exp((j^2-j)/(2 sigma^2)) erfc((z0 - j)/(sqrt2 sigma)) / 2 ],  j = alpha - i.
 * </pre>
 *
 * For {@code i > alpha + 1} the coefficients {@code C(alpha, i)} alternate in sign. Positive and
 * negative terms are summed separately, each in log space, and subtracted at the end, as in
 * TensorFlow Privacy's {@code rdp_accountant._compute_log_a_frac}. When the subtraction would lose
 * more than about six digits to cancellation (tiny sigma, where the terms grow huge before they
 * decay), only the positive terms are kept: dropping negative terms can only raise {@code A}, so the
 * result stays a valid upper bound. (Google's {@code dp_accounting} instead adds the absolute values
 * of all terms, a looser upper bound; at {@code q = 0.01, sigma = 2.5, alpha = 1.5} it is 3% above
 * the exact value computed here.) The terms decay only polynomially (the split makes the geometric
 * ratio exactly 1 at {@code z0}), but beyond {@code i = alpha + 1} they alternate in sign and shrink,
 * so the limit lies between consecutive partial sums: the series stops when the last term is below
 * {@code e^-36} of {@code A} or {@code 1e-10} of {@code A - 1} and returns the larger of the last two
 * partial sums, an upper bound within one term of the exact value. After {@value #MAX_TERMS} terms it
 * returns that bound as it stands, or {@code +infinity} (no bound for this order) if the tail has
 * not yet started to shrink.
 *
 * <h2>Numerics</h2>
 *
 * Everything is in log space: binomial coefficients by the recurrence {@code log|C(alpha, i)| =
 * log|C(alpha, i-1)| + log|alpha - i + 1| - log i}, sums by {@link #logAdd}, the Gaussian tails by
 * {@link Erfc#logErfc}. Nothing overflows for orders up to 512 and any {@code q} in (0, 1): the
 * largest exponent is {@code (alpha^2 - alpha) / (2 sigma^2)}, finite for any positive sigma. As for
 * every log-space method, {@code log A} is resolved to about {@code 1e-16} absolutely, which limits
 * relative accuracy only when the per-step RDP is below about {@code 1e-12}.
 *
 * <p>Cost: {@code O(alpha)} for an integer order, {@code O(K)} with {@code K <= 20,000} (from a few dozen
 * to a few thousand) for a fractional one. Stateless and thread-safe.
 */
final class SampledGaussian {
  static final int MAX_TERMS = 20_000;
  /** A tail below 1e-10 of A - 1 changes the RDP by less than 1e-10 relative. */
  private static final double RELATIVE_TAIL = 23;
  /** Terms below e^-36 of the total no longer change a double. */
  private static final double NEGLIGIBLE = 36;
  /** Subtracting N from P keeps at least ~6 significant digits when N &lt; P (1 - 1e-6). */
  private static final double MAX_CANCELLATION = Math.log1p(-1e-6);

  private SampledGaussian() {}

  /**
   * The RDP at order {@code alpha} of one step: {@code log(A_alpha) / (alpha - 1)}; {@code alpha /
   * (2 sigma^2)} when {@code q = 1} (Mironov 2017, "Rényi Differential Privacy", Proposition 7), 0
   * when {@code q = 0}, infinite when {@code sigma = 0}.
   */
  static double rdp(double sigma, double q, double alpha) {
    if (q == 0) return 0;
    if (sigma == 0) return Double.POSITIVE_INFINITY;
    if (q == 1) return alpha / (2 * sigma * sigma);
    double logA = alpha == Math.rint(alpha) && alpha <= Integer.MAX_VALUE ? logAInteger(sigma, q, (int) alpha) : logAFractional(sigma, q, alpha);
    return Math.max(0, logA) / (alpha - 1);
  }

  /** log A_alpha for integer alpha &gt;= 2 and 0 &lt; q &lt; 1, by the finite binomial sum. */
  static double logAInteger(double sigma, double q, int alpha) {
    double logQ = Math.log(q);
    double log1mq = Math.log1p(-q);
    double twoVar = 2 * sigma * sigma;
    double logA = Double.NEGATIVE_INFINITY;
    double logBinom = 0;
    for (int k = 0; k <= alpha; k++) {
      if (k > 0) logBinom += Math.log(alpha - k + 1) - Math.log(k);
      double term = logBinom + k * logQ + (alpha - k) * log1mq + ((double) k * k - k) / twoVar;
      logA = logAdd(logA, term);
    }
    return logA;
  }

  /** log A_alpha for fractional alpha &gt; 1 and 0 &lt; q &lt; 1, by the series of MTZ 2019, Section 3.3. */
  static double logAFractional(double sigma, double q, double alpha) {
    double logQ = Math.log(q);
    double log1mq = Math.log1p(-q);
    double twoVar = 2 * sigma * sigma;
    double sqrt2Sigma = Math.sqrt(2) * sigma;
    double z0 = sigma * sigma * (Math.log1p(-q) - logQ) + 0.5;
    double logHalf = Math.log(0.5);
    double pos = Double.NEGATIVE_INFINITY;
    double neg = Double.NEGATIVE_INFINITY;
    double logBinom = 0;
    boolean positive = true;
    double last0 = Double.NEGATIVE_INFINITY;
    double last1 = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < MAX_TERMS; i++) {
      if (i > 0) {
        double factor = alpha - i + 1;
        logBinom += Math.log(Math.abs(factor)) - Math.log(i);
        if (factor < 0) positive = !positive;
      }
      double j = alpha - i;
      double s0 = logBinom + i * logQ + j * log1mq + ((double) i * i - i) / twoVar + logHalf + Erfc.logErfc((i - z0) / sqrt2Sigma);
      double s1 = logBinom + j * logQ + i * log1mq + (j * j - j) / twoVar + logHalf + Erfc.logErfc((z0 - j) / sqrt2Sigma);
      double term = logAdd(s0, s1);
      double negBefore = neg;
      if (positive) pos = logAdd(pos, term);
      else neg = logAdd(neg, term);
      boolean tail = i > alpha + 1 && s0 < last0 && s1 < last1;
      last0 = s0;
      last1 = s1;
      if (!tail) continue;
      // Past alpha + 1 the terms alternate in sign and shrink, so the limit lies between the last two
      // partial sums; the larger is an upper bound within one term of the limit.
      double upper = positive ? difference(pos, neg) : difference(pos, negBefore);
      double excess = upper > 0 ? logSub(upper, 0) : Double.NEGATIVE_INFINITY;
      if (term < upper - NEGLIGIBLE || term < excess - RELATIVE_TAIL || i == MAX_TERMS - 1) return upper;
    }
    return Double.POSITIVE_INFINITY;
  }

  /** log(P - N), or log P when the subtraction would cancel too many digits (an upper bound). */
  private static double difference(double pos, double neg) {
    return neg - pos < MAX_CANCELLATION ? logSub(pos, neg) : pos;
  }

  /** log(exp(a) + exp(b)) without overflow. */
  static double logAdd(double a, double b) {
    double lo = Math.min(a, b);
    double hi = Math.max(a, b);
    if (lo == Double.NEGATIVE_INFINITY) return hi;
    return hi + Math.log1p(Math.exp(lo - hi));
  }

  /** log(exp(a) - exp(b)) for a &gt;= b, without overflow; -infinity when equal. */
  static double logSub(double a, double b) {
    if (b == Double.NEGATIVE_INFINITY) return a;
    if (a == b) return Double.NEGATIVE_INFINITY;
    return a + Math.log(-Math.expm1(b - a));
  }
}
