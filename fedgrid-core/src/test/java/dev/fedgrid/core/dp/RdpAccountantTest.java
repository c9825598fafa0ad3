package dev.fedgrid.core.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.InvalidRequestException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.stream.DoubleStream;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Scale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RdpAccountantTest {
  /**
   * The orders of TensorFlow Privacy's compute_dp_sgd_privacy_lib.compute_dp_sgd_privacy
   * (tensorflow/privacy, tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_lib.py).
   */
  private static final double[] TF_PRIVACY_ORDERS =
      DoubleStream.concat(
              DoubleStream.of(1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5),
              DoubleStream.concat(IntStream.range(5, 64).asDoubleStream(), DoubleStream.of(128, 256, 512)))
          .toArray();

  private static double rdp(double sigma, double q, long steps, double order) {
    return RdpAccountant.withOrders(order).compose(sigma, q, steps).rdp()[0];
  }

  // ---- RDP of one mechanism -------------------------------------------------------------------

  /** Mironov 2017, Proposition 7: the Gaussian mechanism is (alpha, alpha / (2 sigma^2))-RDP; T steps add up. */
  @Property(tries = 100)
  void withoutSamplingTheRdpIsAlphaTOverTwoSigmaSquared(
      @ForAll @DoubleRange(min = 0.1, max = 50) double sigma, @ForAll @LongRange(min = 1, max = 100_000) long steps) {
    var accountant = RdpAccountant.withDefaultOrders().compose(sigma, 1, steps);
    double[] rdp = accountant.rdp();
    for (int i = 0; i < rdp.length; i++) {
      double alpha = RdpAccountant.DEFAULT_ORDERS.get(i);
      assertThat(rdp[i]).isEqualTo(steps * (alpha / (2 * sigma * sigma)));
    }
  }

  /** dp_accounting's test_compute_rdp_gaussian: alpha = 3.14159, sigma = 2.71828 gives alpha / (2 sigma^2). */
  @Test
  void gaussianAtAFractionalOrder() {
    assertThat(rdp(2.71828, 1, 1, 3.14159)).isCloseTo(3.14159 / (2 * 2.71828 * 2.71828), within(1e-15));
  }

  /**
   * google/differential-privacy, python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant_test.py,
   * test_compute_rdp_poisson_sampled_gaussian: q = 0.01, sigma = 2.5, 50 steps, compared there with
   * rtol 1e-4. At the integer orders both implementations use the same finite sum; at 2.5 they differ
   * by 6e-5 relative (see fractionalOrdersFollowTheExactSeries for 1.5).
   */
  @ParameterizedTest
  @CsvSource({"2.5, 1.08548710e-03", "5, 2.18075656e-03", "50, 2.38460375e-02", "100, 1.67416308e02"})
  void matchesDpAccountingForThePoissonSampledGaussian(double order, double expected) {
    assertThat(rdp(2.5, 0.01, 50, order)).isCloseTo(expected, within(1e-4 * expected));
  }

  /**
   * tensorflow/privacy, tensorflow_privacy/privacy/analysis/rdp_accountant_test.py,
   * test_compute_rdp_sequence: the same q = 0.01, sigma = 2.5, 50 steps, to an absolute 1e-5. That
   * implementation sums the signed series at fractional orders, as this one does, and gives 0.00065
   * at order 1.5 where dp_accounting's absolute-value bound gives 6.70579741e-04 (3% higher).
   */
  @ParameterizedTest
  @CsvSource({"1.5, 0.00065", "2.5, 0.001085", "5, 0.00218075", "50, 0.023846", "100, 167.416307"})
  void matchesTensorFlowPrivacyForThePoissonSampledGaussian(double order, double expected) {
    assertThat(rdp(2.5, 0.01, 50, order)).isCloseTo(expected, within(1e-5));
  }

  /** tensorflow/privacy rdp_accountant_test.py, test_compute_rdp_scalar: compute_rdp(q=0.1, sigma=2, steps=10, order=5) = 0.07737. */
  @Test
  void matchesTensorFlowPrivacyScalar() {
    assertThat(rdp(2, 0.1, 10, 5)).isCloseTo(0.07737, within(5e-6));
  }

  /**
   * Independent check of the integer-order sum: A_alpha = sum_k C(alpha,k) (1-q)^(alpha-k) q^k
   * exp((k^2-k)/(2 sigma^2)) evaluated directly in 60-digit BigDecimal, against the log-space sum.
   */
  @ParameterizedTest
  @CsvSource({
    "0.01, 2.5, 2", "0.01, 2.5, 5", "0.01, 2.5, 50", "0.01, 2.5, 100", "1e-3, 1, 2", "1e-6, 1, 27", "0.01, 10, 20", "0.5, 1, 32",
    "0.99, 1, 64", "1e-4, 4, 512", "0.25, 0.7, 128"
  })
  void integerOrdersMatchTheBinomialSumInBigDecimal(double q, double sigma, int alpha) {
    double logA = SampledGaussian.logAInteger(sigma, q, alpha);
    double expected = BigMath.logBinomialA(q, sigma, alpha);
    assertThat(logA).isCloseTo(expected, within(1e-13 * Math.max(Math.abs(expected), 1e-3)));
  }

  /**
   * Independent check of the fractional-order series: A_alpha - 1 = integral of N(0, sigma^2)(z) *
   * ((1 - q + q exp((2z - 1)/(2 sigma^2)))^alpha - 1) dz by the trapezoidal rule (exponentially
   * accurate for this analytic, rapidly decaying integrand). Parameters in part from the mpmath
   * comparisons of dp_accounting's test_compute_log_a_equals_mp.
   */
  @ParameterizedTest
  @CsvSource({
    "0.01, 2.5, 1.5", "0.01, 2.5, 2.5", "1e-4, 1, 1.5", "0.1, 100, 20.5", "0.1, 1, 1.25", "0.3, 1.2, 3.5", "0.01, 4, 1.75", "0.001, 0.8, 10.5",
    "0.9, 2, 4.5", "0.5, 5, 33.3"
  })
  void fractionalOrdersFollowTheExactSeries(double q, double sigma, double alpha) {
    double logA = SampledGaussian.logAFractional(sigma, q, alpha);
    double expected = BigMath.logAByQuadrature(q, sigma, alpha);
    assertThat(logA).isCloseTo(expected, within(1e-7 * Math.abs(expected)));
  }

  /** No overflow or NaN across the default orders, up to 512, for tiny q and tiny or huge sigma. */
  @ParameterizedTest
  @CsvSource({"1e-9, 0.3", "1e-6, 0.1", "1e-3, 0.5", "0.5, 0.1", "0.999999, 0.2", "1e-6, 1000", "0.2, 0.05"})
  void staysFiniteOrInfiniteNeverNaN(double q, double sigma) {
    double[] rdp = RdpAccountant.withDefaultOrders().compose(sigma, q, 1000).rdp();
    for (double r : rdp) assertThat(r).isNotNaN().isGreaterThanOrEqualTo(0);
    assertThat(rdp[RdpAccountant.DEFAULT_ORDERS.indexOf(2.0)]).isFinite();
  }

  @Test
  void noSamplingSpendsNothingAndNoNoiseSpendsEverything() {
    assertThat(RdpAccountant.withDefaultOrders().compose(1, 0, 1000).epsilon(1e-5).epsilon()).isZero();
    assertThat(RdpAccountant.withDefaultOrders().compose(0, 0.1, 1).epsilon(1e-5).epsilon()).isInfinite();
    assertThat(RdpAccountant.withDefaultOrders().compose(1, 0.1, 0).epsilon(1e-5).epsilon()).isZero();
  }

  @Test
  void compositionIsAdditive() {
    var once = RdpAccountant.withDefaultOrders().compose(1.1, 0.02, 300);
    var split = RdpAccountant.withDefaultOrders().compose(1.1, 0.02, 100).compose(1.1, 0.02, 200);
    double[] a = once.rdp();
    double[] b = split.rdp();
    for (int i = 0; i < a.length; i++) assertThat(b[i]).isCloseTo(a[i], within(1e-12 * a[i]));
  }

  // ---- conversion to (epsilon, delta) ---------------------------------------------------------

  /**
   * dp_accounting rdp_privacy_accountant_test.py, test_compute_epsilon_delta_pure_dp (and TF Privacy's
   * test_get_privacy_spent_check_target_delta): constant RDP 1.1 at orders 2..32, delta = 1e-5 gives
   * epsilon = 1.32783806176 at order 32.
   */
  @Test
  void pureDpConversion() {
    double[] orders = IntStream.rangeClosed(2, 32).asDoubleStream().toArray();
    double[] rdp = DoubleStream.generate(() -> 1.1).limit(orders.length).toArray();
    var guarantee = RdpAccountant.epsilon(orders, rdp, 1e-5);
    assertThat(guarantee.epsilon()).isCloseTo(1.32783806176, within(1e-10));
    assertThat(guarantee.order()).isEqualTo(32);
  }

  /**
   * dp_accounting rdp_privacy_accountant_test.py, test_compute_epsilon_delta_gaussian: sigma =
   * 4.530877117 without sampling is exactly (1, 1e-6)-DP (Balle and Wang 2018, Theorem 8), and the
   * conversion over orders 1.000..99.999 in steps of 0.001 recovers epsilon = 1 to 7 places. (Order
   * 1.000 itself, which that conversion skips anyway, is left out: this accountant rejects it.)
   */
  @Test
  void gaussianConversionIsTight() {
    double[] orders = IntStream.range(1001, 100000).mapToDouble(i -> 0.001 * i).toArray();
    var guarantee = RdpAccountant.withOrders(orders).compose(4.530877117, 1, 1).epsilon(1e-6);
    assertThat(guarantee.epsilon()).isCloseTo(1, within(5e-8));
  }

  /**
   * tensorflow/privacy, tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py,
   * test_compute_dp_sgd_privacy: (n, batch, sigma, epochs, delta) -&gt; (epsilon, order), with q =
   * batch / n, steps = ceil(epochs n / batch) and TF Privacy's orders; the conversion is
   * dp_accounting's compute_epsilon. Checked there to 7 places.
   */
  @ParameterizedTest
  @CsvSource({"60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19", "100000, 100, 1.0, 30, 1e-7, 1.4154988495444842, 13"})
  void matchesTensorFlowPrivacyDpSgdEpsilon(int n, int batch, double sigma, int epochs, double delta, double expected, double order) {
    long steps = (long) Math.ceil((double) epochs * n / batch);
    var guarantee = RdpAccountant.withOrders(TF_PRIVACY_ORDERS).compose(sigma, (double) batch / n, steps).epsilon(delta);
    assertThat(guarantee.epsilon()).isCloseTo(expected, within(5e-8));
    assertThat(guarantee.order()).isEqualTo(order);
  }

  /**
   * End to end at q &lt; 1, computed independently of the accountant: the setting of TensorFlow
   * Privacy's MNIST tutorial (tensorflow/privacy, tutorials/mnist_dpsgd_tutorial.py: 60,000
   * examples, batch 256, noise 1.1, 60 epochs, delta 1e-5). Each order's RDP comes from the test's
   * own references (BigDecimal binomial sum for integer orders, trapezoidal quadrature of the
   * sampled Gaussian's Rényi integral for fractional ones), composed over the steps and converted by
   * the Canonne-Kamath-Steinke bound written out again here; it must agree with the accountant to
   * 1e-6. The band [2.5, 3.5] is only a sanity check around the epsilon of about 3 quoted for this
   * tutorial; the cited exact values are those of matchesTensorFlowPrivacyDpSgdEpsilon.
   */
  @Test
  void tutorialSettingMatchesAnIndependentComputation() {
    double q = 256.0 / 60_000;
    double sigma = 1.1;
    long steps = (long) Math.ceil(60.0 * 60_000 / 256);
    double delta = 1e-5;
    double best = Double.POSITIVE_INFINITY;
    for (double alpha : RdpAccountant.DEFAULT_ORDERS) {
      double logA = alpha == Math.rint(alpha) ? BigMath.logBinomialA(q, sigma, (int) alpha) : BigMath.logAByQuadrature(q, sigma, alpha);
      double rdp = steps * logA / (alpha - 1);
      double eps = rdp + Math.log((alpha - 1) / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
      best = Math.min(best, eps);
    }
    double accountant = RdpAccountant.withDefaultOrders().compose(sigma, q, steps).epsilon(delta).epsilon();
    assertThat(accountant).isCloseTo(best, within(1e-6 * best));
    assertThat(accountant).isBetween(2.5, 3.5);
  }

  /**
   * The third case of the same test (sigma = 0.1, essentially no privacy): 5907982.3113978775 at order
   * 1.25, from dp_accounting's absolute-value series. The exact series here can only be lower.
   */
  @Test
  void hugeEpsilonIsNoWorseThanDpAccounting() {
    long steps = (long) Math.ceil(10.0 * 100_000_000 / 1024);
    var guarantee = RdpAccountant.withOrders(TF_PRIVACY_ORDERS).compose(0.1, 1024 / 1e8, steps).epsilon(1e-7);
    assertThat(guarantee.epsilon()).isLessThanOrEqualTo(5907982.3113978775 * (1 + 1e-12)).isGreaterThan(5.8e6);
    assertThat(guarantee.order()).isEqualTo(1.25);
  }

  /**
   * tensorflow/privacy, tensorflow_privacy/privacy/analysis/compute_noise_from_budget_test.py: the
   * target epsilons there (0.941870567 for sigma 1.3; 1.70928734 for sigma 1.0; 5907984.81339406 for
   * sigma 0.1) are what Mironov's classic conversion gives for the settings above.
   */
  @ParameterizedTest
  @CsvSource({"60000, 150, 1.3, 15, 1e-5, 0.941870567", "100000, 100, 1.0, 30, 1e-7, 1.70928734", "100000000, 1024, 0.1, 10, 1e-7, 5907984.81339406"})
  void classicConversionMatchesTensorFlowPrivacy(int n, int batch, double sigma, int epochs, double delta, double expected) {
    long steps = (long) Math.ceil((double) epochs * n / batch);
    var accountant = RdpAccountant.withOrders(TF_PRIVACY_ORDERS).compose(sigma, (double) batch / n, steps);
    assertThat(accountant.epsilonClassic(delta).epsilon()).isCloseTo(expected, within(1e-8 * expected + 1e-8));
  }

  /** The inverse of matchesTensorFlowPrivacyDpSgdEpsilon: the same epsilons ask for sigma 1.3 and 1.0 back. */
  @ParameterizedTest
  @CsvSource({"0.0025, 6000, 1e-5, 0.7242234026109595, 1.3", "0.001, 30000, 1e-7, 1.4154988495444842, 1.0"})
  void noiseMultiplierInvertsEpsilon(double q, long steps, double delta, double epsilon, double expectedSigma) {
    double sigma = RdpAccountant.withOrders(TF_PRIVACY_ORDERS).noiseMultiplierFor(epsilon, delta, q, steps);
    assertThat(sigma).isCloseTo(expectedSigma, within(1e-6));
  }

  @Property(tries = 15)
  void noiseMultiplierForMeetsTheTarget(
      @ForAll @DoubleRange(min = 0.2, max = 10) double target, @ForAll @DoubleRange(min = 0.001, max = 1) @Scale(6) double q, @ForAll @LongRange(min = 1, max = 5000) long steps) {
    var accountant = RdpAccountant.withDefaultOrders();
    double sigma = accountant.noiseMultiplierFor(target, 1e-5, q, steps);
    assertThat(accountant.compose(sigma, q, steps).epsilon(1e-5).epsilon()).isLessThanOrEqualTo(target);
    assertThat(accountant.compose(sigma * (1 - 1e-6), q, steps).epsilon(1e-5).epsilon()).isGreaterThan(target * (1 - 1e-4));
  }

  @Test
  void noiseMultiplierForRemainingRoundsAccountsForWhatWasSpent() {
    var spent = RdpAccountant.withDefaultOrders().compose(1.0, 0.01, 1000);
    double fresh = RdpAccountant.withDefaultOrders().noiseMultiplierFor(4, 1e-5, 0.01, 1000);
    double remaining = spent.noiseMultiplierFor(4, 1e-5, 0.01, 1000);
    assertThat(remaining).isGreaterThan(fresh);
    assertThatThrownBy(() -> RdpAccountant.withDefaultOrders().compose(0.5, 1, 100).noiseMultiplierFor(1, 1e-5, 0.1, 10))
        .isInstanceOf(InvalidRequestException.class)
        .hasFieldOrPropertyWithValue("code", "EPSILON_UNREACHABLE");
  }

  // ---- monotonicity (SGM properties: more steps, more sampling or less noise never cost less) -------

  @Property(tries = 30)
  void epsilonGrowsWithSteps(
      @ForAll @DoubleRange(min = 0.5, max = 8) double sigma, @ForAll @DoubleRange(min = 1e-4, max = 1) @Scale(6) double q,
      @ForAll @LongRange(min = 1, max = 10_000) long steps, @ForAll @LongRange(min = 1, max = 10_000) long more) {
    var accountant = RdpAccountant.withDefaultOrders();
    double before = accountant.compose(sigma, q, steps).epsilon(1e-5).epsilon();
    double after = accountant.compose(sigma, q, steps + more).epsilon(1e-5).epsilon();
    assertThat(after).isGreaterThanOrEqualTo(before);
  }

  @Property(tries = 30)
  void epsilonGrowsWithTheSamplingRate(
      @ForAll @DoubleRange(min = 0.5, max = 8) double sigma, @ForAll @DoubleRange(min = 1e-4, max = 1) @Scale(6) double q,
      @ForAll @DoubleRange(min = 1, max = 3) double factor, @ForAll @LongRange(min = 1, max = 10_000) long steps) {
    double larger = Math.min(1, q * factor);
    var accountant = RdpAccountant.withDefaultOrders();
    double before = accountant.compose(sigma, q, steps).epsilon(1e-5).epsilon();
    double after = accountant.compose(sigma, larger, steps).epsilon(1e-5).epsilon();
    assertThat(after).isGreaterThanOrEqualTo(before * (1 - 1e-9));
  }

  @Property(tries = 30)
  void epsilonFallsWithTheNoise(
      @ForAll @DoubleRange(min = 0.3, max = 8) double sigma, @ForAll @DoubleRange(min = 1e-4, max = 1) @Scale(6) double q,
      @ForAll @DoubleRange(min = 1, max = 3) double factor, @ForAll @LongRange(min = 1, max = 10_000) long steps) {
    var accountant = RdpAccountant.withDefaultOrders();
    double before = accountant.compose(sigma, q, steps).epsilon(1e-5).epsilon();
    double after = accountant.compose(sigma * factor, q, steps).epsilon(1e-5).epsilon();
    assertThat(after).isLessThanOrEqualTo(before * (1 + 1e-9));
  }

  @Property(tries = 30)
  void improvedConversionNeverExceedsTheClassicOne(
      @ForAll @DoubleRange(min = 0.3, max = 8) double sigma, @ForAll @DoubleRange(min = 1e-4, max = 1) @Scale(6) double q,
      @ForAll @LongRange(min = 1, max = 10_000) long steps) {
    var accountant = RdpAccountant.withDefaultOrders().compose(sigma, q, steps);
    assertThat(accountant.epsilon(1e-6).epsilon()).isLessThanOrEqualTo(accountant.epsilonClassic(1e-6).epsilon());
  }

  @Test
  void rejectsInvalidInput() {
    var accountant = RdpAccountant.withDefaultOrders();
    assertThatThrownBy(() -> accountant.compose(-1, 0.1, 1)).hasFieldOrPropertyWithValue("code", "INVALID_NOISE_MULTIPLIER");
    assertThatThrownBy(() -> accountant.compose(1, 1.5, 1)).hasFieldOrPropertyWithValue("code", "INVALID_SAMPLING_RATE");
    assertThatThrownBy(() -> accountant.compose(1, Double.NaN, 1)).hasFieldOrPropertyWithValue("code", "INVALID_SAMPLING_RATE");
    assertThatThrownBy(() -> accountant.compose(1, 0.1, -1)).hasFieldOrPropertyWithValue("code", "INVALID_STEPS");
    assertThatThrownBy(() -> accountant.epsilon(0)).hasFieldOrPropertyWithValue("code", "INVALID_DELTA");
    assertThatThrownBy(() -> accountant.epsilonClassic(1)).hasFieldOrPropertyWithValue("code", "INVALID_DELTA");
    assertThatThrownBy(() -> RdpAccountant.withOrders(1.0)).hasFieldOrPropertyWithValue("code", "INVALID_ORDERS");
    assertThatThrownBy(() -> RdpAccountant.withOrders()).hasFieldOrPropertyWithValue("code", "INVALID_ORDERS");
    assertThatThrownBy(() -> accountant.noiseMultiplierFor(0, 1e-5, 0.1, 1)).hasFieldOrPropertyWithValue("code", "INVALID_EPSILON");
  }

  /** Independent reference computations in high precision. */
  static final class BigMath {
    private static final MathContext MC = new MathContext(60, RoundingMode.HALF_EVEN);

    /** log of sum_k C(alpha,k) (1-q)^(alpha-k) q^k exp((k^2-k)/(2 sigma^2)), summed in BigDecimal. */
    static double logBinomialA(double q, double sigma, int alpha) {
      BigDecimal bq = new BigDecimal(q);
      BigDecimal p = BigDecimal.ONE.subtract(bq);
      BigDecimal twoVar = new BigDecimal(sigma).pow(2).multiply(BigDecimal.TWO);
      BigDecimal sum = BigDecimal.ZERO;
      BigDecimal binom = BigDecimal.ONE;
      for (int k = 0; k <= alpha; k++) {
        if (k > 0) binom = binom.multiply(BigDecimal.valueOf(alpha - k + 1)).divide(BigDecimal.valueOf(k), MC);
        BigDecimal exponent = BigDecimal.valueOf((long) k * k - k).divide(twoVar, MC);
        BigDecimal term = binom.multiply(p.pow(alpha - k, MC), MC).multiply(bq.pow(k, MC), MC).multiply(exp(exponent), MC);
        sum = sum.add(term, MC);
      }
      return log(sum);
    }

    /** e^x for x &gt;= 0: Taylor series of x / 2^m, then m squarings. */
    static BigDecimal exp(BigDecimal x) {
      int m = Math.max(0, (int) Math.ceil(Math.log(x.doubleValue() + 1) / Math.log(2)) + 1);
      BigDecimal y = x.divide(BigDecimal.TWO.pow(m), MC);
      BigDecimal sum = BigDecimal.ONE;
      BigDecimal term = BigDecimal.ONE;
      for (int n = 1; n < 200; n++) {
        term = term.multiply(y, MC).divide(BigDecimal.valueOf(n), MC);
        sum = sum.add(term, MC);
        if (term.compareTo(BigDecimal.ONE.movePointLeft(70)) < 0) break;
      }
      for (int i = 0; i < m; i++) sum = sum.multiply(sum, MC);
      return sum;
    }

    /** log of a positive BigDecimal of any magnitude, to double precision; log1p of (x - 1) near 1. */
    static double log(BigDecimal x) {
      BigDecimal minusOne = x.subtract(BigDecimal.ONE);
      if (minusOne.abs().compareTo(new BigDecimal("0.5")) < 0) return Math.log1p(minusOne.doubleValue());
      int exponent = x.precision() - x.scale() - 1;
      return Math.log(x.movePointLeft(exponent).doubleValue()) + exponent * Math.log(10);
    }

    /** log A_alpha by the trapezoidal rule on the whole line, for moderate parameters. */
    static double logAByQuadrature(double q, double sigma, double alpha) {
      double h = sigma / 64;
      double from = -40 * sigma;
      double to = alpha + 40 * sigma + 1;
      double sum = 0;
      double norm = 1 / (sigma * Math.sqrt(2 * Math.PI));
      for (double z = from; z <= to; z += h) {
        double u = (2 * z - 1) / (2 * sigma * sigma);
        double excess = Math.expm1(alpha * Math.log1p(q * Math.expm1(u)));
        sum += norm * Math.exp(-z * z / (2 * sigma * sigma)) * excess;
      }
      return Math.log1p(sum * h);
    }
  }
}
