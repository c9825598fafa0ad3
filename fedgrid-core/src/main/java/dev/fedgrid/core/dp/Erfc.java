package dev.fedgrid.core.dp;

/**
 * The complementary error function {@code erfc(x) = 2/sqrt(pi) * integral from x to infinity of
 * exp(-t^2) dt} and its logarithm, which the JDK lacks; used by the sampled Gaussian accountant.
 *
 * <h2>Algorithm</h2>
 *
 * W. J. Cody's rational Chebyshev approximations, "Rational Chebyshev approximations for the error
 * function", Math. Comp. 23 (1969), pp. 631-638, with the coefficients and interval split of his
 * Fortran routine {@code CALERF} (netlib {@code specfun/erf}, revision of March 1990), which are
 * accurate to about 18 significant digits before rounding to double:
 *
 * <pre>
 *   |x| &lt;= 0.46875        erf(x)            = x P3(x^2) / Q3(x^2)
 *   0.46875 &lt; y &lt;= 4     exp(y^2) erfc(y)  = P8(y) / Q8(y)
 *   y &gt; 4                 exp(y^2) erfc(y)  = (1/sqrt(pi) - R(1/y^2) / y^2) / y,  R = P5/Q5 of 1/y^2
 * </pre>
 *
 * and {@code erfc(-y) = 2 - erfc(y)}. The scaled form {@code exp(y^2) erfc(y)} is what makes the
 * logarithm accurate far in the tail: {@code log erfc(y) = -y^2 + log(exp(y^2) erfc(y))} never
 * forms the underflowing {@code exp(-y^2)}, so {@link #logErfc} is finite up to {@code y ~ 1e154}
 * where {@code y^2} itself overflows. {@link #erfc} multiplies {@code exp(-y^2)} back in split as
 * {@code exp(-s^2) exp(-(y - s)(y + s))} with {@code s = trunc(16 y) / 16}, as Cody does, so that
 * the rounding error of {@code y^2} is not amplified by the exponential.
 *
 * <p>Cost: O(1), one or two {@code exp}/{@code log} calls. Stateless and thread-safe.
 */
final class Erfc {
  private static final double THRESHOLD = 0.46875;
  private static final double ONE_OVER_SQRT_PI = 0.56418958354775628695;
  /** Above this, erfc(y) underflows to zero in double (Cody's XBIG). */
  private static final double XBIG = 26.543;
  /** Above this, 1 - 1/(2 y^2) rounds to 1 and the scaled erfc is 1/(y sqrt(pi)) (Cody's XHUGE). */
  private static final double XHUGE = 6.71e7;

  private static final double[] A = {
    3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03, 1.85777706184603153e-1
  };
  private static final double[] B = {2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03};
  private static final double[] C = {
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8
  };
  private static final double[] D = {
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03
  };
  private static final double[] P = {
    3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2
  };
  private static final double[] Q = {
    2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3
  };

  private Erfc() {}

  /** erfc(x) for any x; NaN for NaN. */
  static double erfc(double x) {
    double y = Math.abs(x);
    if (y <= THRESHOLD) return 1 - erfSmall(x);
    double tail = y >= XBIG ? 0 : expMinusSquare(y) * scaled(y);
    return x < 0 ? 2 - tail : tail;
  }

  /** log(erfc(x)) for any x, accurate in the far right tail where erfc underflows; NaN for NaN. */
  static double logErfc(double x) {
    double y = Math.abs(x);
    if (y <= THRESHOLD) return Math.log1p(-erfSmall(x));
    if (x < 0) return Math.log(2 - erfc(y));
    return -(y * y) + Math.log(scaled(y));
  }

  /** erf(x) for |x| &lt;= 0.46875. */
  private static double erfSmall(double x) {
    double ysq = x * x;
    double num = A[4] * ysq;
    double den = ysq;
    for (int i = 0; i < 3; i++) {
      num = (num + A[i]) * ysq;
      den = (den + B[i]) * ysq;
    }
    return x * (num + A[3]) / (den + B[3]);
  }

  /** exp(y^2) erfc(y) for y &gt; 0.46875. */
  private static double scaled(double y) {
    if (y <= 4) {
      double num = C[8] * y;
      double den = y;
      for (int i = 0; i < 7; i++) {
        num = (num + C[i]) * y;
        den = (den + D[i]) * y;
      }
      return (num + C[7]) / (den + D[7]);
    }
    if (y >= XHUGE) return ONE_OVER_SQRT_PI / y;
    double z = 1 / (y * y);
    double num = P[5] * z;
    double den = z;
    for (int i = 0; i < 4; i++) {
      num = (num + P[i]) * z;
      den = (den + Q[i]) * z;
    }
    double r = z * (num + P[4]) / (den + Q[4]);
    return (ONE_OVER_SQRT_PI - r) / y;
  }

  /** exp(-y^2), with y^2 split so that its rounding error is not magnified. */
  private static double expMinusSquare(double y) {
    double s = Math.floor(y * 16) / 16;
    double del = (y - s) * (y + s);
    return Math.exp(-s * s) * Math.exp(-del);
  }
}
