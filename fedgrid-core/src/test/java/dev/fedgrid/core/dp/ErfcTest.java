package dev.fedgrid.core.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ErfcTest {
  private static final MathContext MC = new MathContext(200, RoundingMode.HALF_EVEN);

  /**
   * erfc(x) = 1 - 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1)), the Maclaurin series of erf
   * (Abramowitz and Stegun 7.1.5), summed in 200-digit BigDecimal so that the cancellation between
   * terms of size up to exp(x^2) costs nothing for |x| &lt;= 8; pi by Machin's formula.
   */
  static double erfcBySeries(double x) {
    BigDecimal bx = new BigDecimal(x);
    BigDecimal x2 = bx.multiply(bx, MC);
    BigDecimal power = bx; // (-1)^n x^(2n+1) / n!
    BigDecimal sum = BigDecimal.ZERO;
    BigDecimal eps = BigDecimal.ONE.movePointLeft(190);
    for (int n = 0; ; n++) {
      BigDecimal term = power.divide(BigDecimal.valueOf(2L * n + 1), MC);
      sum = sum.add(term, MC);
      if (n > 2 * x * x && term.abs().compareTo(eps) < 0) break;
      power = power.multiply(x2, MC).divide(BigDecimal.valueOf(-(n + 1L)), MC);
    }
    BigDecimal erf = sum.multiply(BigDecimal.TWO, MC).divide(pi().sqrt(MC), MC);
    return BigDecimal.ONE.subtract(erf, MC).doubleValue();
  }

  /** pi = 16 atan(1/5) - 4 atan(1/239) (Machin 1706), each arctangent by its Taylor series. */
  static BigDecimal pi() {
    return atanInverse(5).multiply(BigDecimal.valueOf(16)).subtract(atanInverse(239).multiply(BigDecimal.valueOf(4)), MC);
  }

  private static BigDecimal atanInverse(int n) {
    BigDecimal x = BigDecimal.ONE.divide(BigDecimal.valueOf(n), MC);
    BigDecimal x2 = x.multiply(x, MC);
    BigDecimal power = x;
    BigDecimal sum = BigDecimal.ZERO;
    for (int k = 0; power.compareTo(BigDecimal.ONE.movePointLeft(205)) > 0; k++) {
      BigDecimal term = power.divide(BigDecimal.valueOf(2L * k + 1), MC);
      sum = (k % 2 == 0) ? sum.add(term, MC) : sum.subtract(term, MC);
      power = power.multiply(x2, MC);
    }
    return sum;
  }

  /**
   * log erfc(x) for x &gt;= 4 from Laplace's continued fraction erfc(x) = exp(-x^2)/sqrt(pi) *
   * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))) (Abramowitz and Stegun 7.1.14), evaluated
   * bottom-up with 500 levels.
   */
  static double logErfcByContinuedFraction(double x) {
    double tail = x;
    for (int k = 500; k >= 1; k--) tail = x + (k / 2.0) / tail;
    return -x * x - 0.5 * Math.log(Math.PI) - Math.log(tail);
  }

  /** Cody's approximations are good to about 18 digits; in double that leaves a few units in the last place. */
  @ParameterizedTest
  @ValueSource(doubles = {-6, -3, -1.5, -0.5, -0.46875, -0.1, 0, 1e-12, 0.1, 0.3, 0.46875, 0.47, 0.5, 1, 1.5, 2, 3, 3.99, 4, 4.01, 5, 6, 7, 8})
  void erfcMatchesTheHighPrecisionSeries(double x) {
    double expected = erfcBySeries(x);
    assertThat(Erfc.erfc(x)).isCloseTo(expected, within(1e-15 * Math.abs(expected) + 1e-300));
    assertThat(Erfc.logErfc(x)).isCloseTo(Math.log(expected), within(2e-15 * Math.max(1, Math.abs(Math.log(expected)))));
  }

  @ParameterizedTest
  @ValueSource(doubles = {4, 6, 10, 26, 27, 40, 100, 1e3, 1e5, 1e8, 1e12})
  void logErfcMatchesTheContinuedFractionFarInTheTail(double x) {
    double expected = logErfcByContinuedFraction(x);
    assertThat(Erfc.logErfc(x)).isCloseTo(expected, within(1e-15 * Math.abs(expected)));
  }

  @Test
  void knownValues() {
    // erf(1) = 0.8427007929497148693... (Abramowitz and Stegun, Table 7.1)
    assertThat(1 - Erfc.erfc(1)).isCloseTo(0.8427007929497148693, within(2e-16));
    assertThat(Erfc.erfc(0)).isEqualTo(1);
    assertThat(Erfc.erfc(Double.POSITIVE_INFINITY)).isZero();
    assertThat(Erfc.erfc(Double.NEGATIVE_INFINITY)).isEqualTo(2);
    assertThat(Erfc.logErfc(-40)).isEqualTo(Math.log(2));
    assertThat(Erfc.logErfc(Double.NaN)).isNaN();
  }

  @Property(tries = 200)
  void reflectsAroundZero(@ForAll @DoubleRange(min = 0, max = 10) double x) {
    assertThat(Erfc.erfc(-x)).isCloseTo(2 - Erfc.erfc(x), within(1e-15));
  }

  @Property(tries = 200)
  void logErfcIsTheLogOfErfcWhereBothAreRepresentable(@ForAll @DoubleRange(min = -5, max = 25) double x) {
    assertThat(Erfc.logErfc(x)).isCloseTo(Math.log(Erfc.erfc(x)), within(1e-14 * Math.max(1, x * x)));
  }
}
