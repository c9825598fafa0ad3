package dev.fedgrid.core.secagg;

import dev.fedgrid.api.InvalidRequestException;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parameters of one SecAgg+ round, checked when built: every instance is a configuration whose
 * sums cannot wrap around the modulus and whose graph and threshold exist.
 *
 * <h2>Quantization</h2>
 *
 * A client clips each value {@code x} to {@code [-clip, clip]} and maps it to the integer {@code q =
 * round((x + clip) / (2 clip) · L)} in {@code [0, L]}, {@code L = 2^quantizationBits - 1}, by {@link
 * Rounding} (nearest by default). It multiplies {@code q} by its integer weight {@code w} (for FedAvg,
 * its number of examples, {@code 1 <= w <= maxWeight}) and appends {@code w} itself as one more
 * coordinate, so the masked vector has {@code length + 1} elements and the server recovers both
 * {@code Σ w q} and the total weight {@code Σ w} from the same sum modulo {@code M = 2^modulusBits}.
 * The weighted mean is {@code (Σ w q / Σ w) · 2 clip / L - clip}, so weights are applied before
 * masking and the server never learns an individual weight either.
 *
 * <p>The sum cannot wrap around when {@code clients · maxWeight · L < M}, which holds exactly when
 * each client's contribution is below {@code 2^(modulusBits - ⌈log2(clients · maxWeight)⌉)}; the
 * constructor refuses any other configuration with {@code SECAGG_OVERFLOW_RISK}.
 *
 * <h2>Defaults ({@link #builder})</h2>
 *
 * <ul>
 *   <li>{@code neighbours}: the smallest k of at least {@code 2 ⌈log2 n⌉} with {@code n k} even (the O(log n)
 *       degree of Bell et al.) with which at most {@value #DEFAULT_ABANDON_TARGET} of rounds are
 *       abandoned when each client drops out with probability {@value #DEFAULT_EXPECTED_DROPOUT}
 *       ({@link Reliability}; {@code 2 ⌈log2 n⌉} alone abandons 2 to 5 in a thousand for n up to
 *       1000), and {@code n - 1} (the complete graph of Bonawitz et al.) when no sparser graph is
 *       allowed or meets that. {@link Builder#expectedDropout} and {@link Builder#abandonTarget}
 *       change the assumption.
 *   <li>{@code threshold}: a strict majority of the {@code neighbours + 1} holders of each secret
 *       (a node keeps one share of its own secrets), {@code ⌊(k + 1) / 2⌋ + 1}, at least 2.
 *   <li>{@code quantizationBits}: 16 (an error of at most {@code clip / 65535} per value), or fewer
 *       when an explicit {@code modulusBits} leaves less room.
 *   <li>{@code modulusBits}: 32 (4-byte mask words) when the sum fits, else the smallest that fits, at
 *       most 62.
 *   <li>{@code clip}: 1, {@code maxWeight}: 1 (an unweighted mean), {@code rounding}: nearest.
 * </ul>
 *
 * @param clients n, the number of clients selected for the round, 2 or more
 * @param neighbours k, each client's number of neighbours, 1 to {@code min(n - 1, 254)}, {@code n k}
 *     even
 * @param threshold t, the number of shares that reconstruct a secret, 2 to {@code k + 1}; also the
 *     fewest clients whose inputs may be summed
 * @param modulusBits b, the sums are taken modulo {@code 2^b}, 2 to 62
 * @param quantizationBits r, each value is quantized to r bits, 1 to 32
 * @param clip the clipping range {@code c > 0}: values are clipped to {@code [-c, c]}
 * @param length d, the number of values each client contributes, at least 1
 * @param maxWeight the largest weight a client may give its input, at least 1
 * @param rounding how values are rounded to the quantization grid
 */
public record SecAggConfig(
    int clients,
    int neighbours,
    int threshold,
    int modulusBits,
    int quantizationBits,
    float clip,
    int length,
    long maxWeight,
    Rounding rounding) {
  /** The drop-out probability the default number of neighbours is chosen for. */
  public static final double DEFAULT_EXPECTED_DROPOUT = 0.1;
  /** The share of rounds the default number of neighbours may abandon at the expected drop-out. */
  public static final double DEFAULT_ABANDON_TARGET = 1e-3;

  /** The most neighbours a node may have: Shamir sharing over GF(2^8) has 255 holders at most. */
  public static final int MAX_NEIGHBOURS = Shamir.MAX_HOLDERS - 1;
  /** The largest modulus, 2^62, keeps every sum and difference inside a {@code long}. */
  public static final int MAX_MODULUS_BITS = 62;

  /** How a clipped value is rounded to the quantization grid. */
  public enum Rounding {
    /**
     * To the nearest grid point, ties to even: deterministic, error at most half a step, a bias of
     * at most half a step in the mean.
     */
    NEAREST,
    /**
     * Up with probability equal to the fractional part, else down: error below one step and
     * unbiased in expectation (the usual choice before adding noise for differential privacy).
     */
    STOCHASTIC
  }

  /**
   * Checks the configuration.
   *
   * @throws InvalidRequestException with code {@code SECAGG_INVALID_CONFIG} naming the parameter, or
   *     {@code SECAGG_OVERFLOW_RISK} when n clients could overflow the modulus
   */
  public SecAggConfig {
    if (clients < 2) invalid("clients", clients, "secure aggregation needs at least 2 clients");
    if (neighbours < 1 || neighbours > clients - 1) {
      invalid("neighbours", neighbours, "each client needs 1 to n - 1 = " + (clients - 1) + " neighbours");
    }
    if (neighbours > MAX_NEIGHBOURS) {
      invalid("neighbours", neighbours, "Shamir sharing over GF(2^8) allows at most " + MAX_NEIGHBOURS + " neighbours; use a sparser graph (k of about 2 log2 n)");
    }
    if ((long) clients * neighbours % 2 != 0) {
      invalid("neighbours", neighbours, "no " + neighbours + "-regular graph on " + clients + " clients exists (n k must be even); use an even k");
    }
    if (threshold < 2 || threshold > neighbours + 1) {
      invalid("threshold", threshold, "the threshold must be 2 to k + 1 = " + (neighbours + 1) + " (a client and its " + neighbours + " neighbours hold its shares)");
    }
    if (modulusBits < 2 || modulusBits > MAX_MODULUS_BITS) invalid("modulusBits", modulusBits, "the modulus must be 2^2 to 2^" + MAX_MODULUS_BITS);
    if (quantizationBits < 1 || quantizationBits > 32) invalid("quantizationBits", quantizationBits, "values are quantized to 1 to 32 bits");
    if (!(clip > 0) || !Float.isFinite(clip)) invalid("clip", clip, "the clipping range must be finite and greater than 0");
    if (length < 1 || length == Integer.MAX_VALUE) invalid("length", length, "a vector needs 1 to 2^31 - 2 values");
    if (maxWeight < 1) invalid("maxWeight", maxWeight, "weights are at least 1");
    if (rounding == null) invalid("rounding", "null", "choose NEAREST or STOCHASTIC");
    BigInteger worstSum = BigInteger.valueOf(clients).multiply(BigInteger.valueOf(maxWeight)).multiply(BigInteger.ONE.shiftLeft(quantizationBits).subtract(BigInteger.ONE));
    if (worstSum.bitLength() > modulusBits) {
      int headroom = headroomBits(clients, maxWeight);
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("clients", clients);
      details.put("maxWeight", maxWeight);
      details.put("modulusBits", modulusBits);
      details.put("quantizationBits", quantizationBits);
      details.put("limitBits", modulusBits - headroom);
      throw new InvalidRequestException(
          "SECAGG_OVERFLOW_RISK",
          "the sum of " + clients + " clients' " + quantizationBits + "-bit values with weights up to " + maxWeight + " can reach 2^" + worstSum.bitLength()
              + " and wrap around the 2^" + modulusBits + " modulus; with n = " + clients + " each weighted value must stay below 2^" + (modulusBits - headroom)
              + ": lower quantizationBits to " + Math.max(0, modulusBits - headroom) + " or maxWeight, or raise modulusBits to " + (quantizationBits + headroom)
              + " (at most " + MAX_MODULUS_BITS + ")",
          details);
    }
  }

  /** A builder with the documented defaults for {@code clients} clients sending {@code length} values. */
  public static Builder builder(int clients, int length) {
    return new Builder(clients, length);
  }

  /** The modulus {@code M = 2^modulusBits}, as a bit mask {@code M - 1}. */
  long modulusMask() {
    return (1L << modulusBits) - 1;
  }

  /** The number of elements a masked vector has: the values and the weight. */
  int maskedLength() {
    return length + 1;
  }

  /** {@code ⌈log2(clients · maxWeight)⌉}: the bits a sum of n weighted values needs above one value. */
  static int headroomBits(int clients, long maxWeight) {
    BigInteger product = BigInteger.valueOf(clients).multiply(BigInteger.valueOf(maxWeight)).subtract(BigInteger.ONE);
    return product.bitLength();
  }

  private static void invalid(String parameter, Object value, String rule) {
    throw new InvalidRequestException(
        "SECAGG_INVALID_CONFIG", "SecAgg+ " + parameter + " = " + value + " is invalid: " + rule, Map.of("parameter", parameter, "value", String.valueOf(value)));
  }

  /** Collects the parameters of a {@link SecAggConfig}; not thread-safe. */
  public static final class Builder {
    private final int clients;
    private final int length;
    private Integer neighbours;
    private Integer threshold;
    private Integer modulusBits;
    private Integer quantizationBits;
    private float clip = 1f;
    private long maxWeight = 1;
    private Rounding rounding = Rounding.NEAREST;
    private double expectedDropout = DEFAULT_EXPECTED_DROPOUT;
    private double abandonTarget = DEFAULT_ABANDON_TARGET;

    private Builder(int clients, int length) {
      this.clients = clients;
      this.length = length;
    }

    /** k, each client's number of neighbours; {@code clients - 1} runs Bonawitz et al. 2017. */
    public Builder neighbours(int k) {
      this.neighbours = k;
      return this;
    }

    /**
     * The probability, in [0, 1), that a client drops out during a round, which the default number
     * of neighbours is chosen for (default {@value SecAggConfig#DEFAULT_EXPECTED_DROPOUT}).
     */
    public Builder expectedDropout(double p) {
      this.expectedDropout = p;
      return this;
    }

    /**
     * The share of rounds, in (0, 1), the default number of neighbours may abandon at the expected
     * drop-out (default {@value SecAggConfig#DEFAULT_ABANDON_TARGET}).
     */
    public Builder abandonTarget(double target) {
      this.abandonTarget = target;
      return this;
    }

    /** t, the shares needed to reconstruct a secret and the fewest clients in a sum. */
    public Builder threshold(int t) {
      this.threshold = t;
      return this;
    }

    /** b, the sums are taken modulo 2^b. */
    public Builder modulusBits(int bits) {
      this.modulusBits = bits;
      return this;
    }

    /** r, each clipped value is quantized to r bits. */
    public Builder quantizationBits(int bits) {
      this.quantizationBits = bits;
      return this;
    }

    /** The clipping range c: values are clipped to [-c, c]. */
    public Builder clip(float clip) {
      this.clip = clip;
      return this;
    }

    /** The largest weight (for FedAvg, number of examples) a client may give its input. */
    public Builder maxWeight(long maxWeight) {
      this.maxWeight = maxWeight;
      return this;
    }

    /** How values are rounded to the grid. */
    public Builder rounding(Rounding rounding) {
      this.rounding = rounding;
      return this;
    }

    /**
     * The configuration, with defaults for what was not set.
     *
     * @throws InvalidRequestException as {@link SecAggConfig#SecAggConfig} does
     */
    public SecAggConfig build() {
      int k = neighbours != null ? neighbours : defaultNeighbours(clients, expectedDropout, abandonTarget);
      int t = threshold != null ? threshold : Reliability.majority(k);
      int headroom = clients >= 1 && maxWeight >= 1 ? headroomBits(clients, maxWeight) : 0;
      int r;
      int b;
      if (modulusBits == null) {
        r = quantizationBits != null ? quantizationBits : 16;
        b = Math.min(MAX_MODULUS_BITS, Math.max(32, r + headroom));
      } else {
        b = modulusBits;
        r = quantizationBits != null ? quantizationBits : Math.max(1, Math.min(16, b - headroom));
      }
      return new SecAggConfig(clients, k, t, b, r, clip, length, maxWeight, rounding);
    }

    private static int defaultNeighbours(int n, double dropout, double target) {
      if (n < 2) return 1;
      int k = 2 * (32 - Integer.numberOfLeadingZeros(n - 1));
      if (k >= n - 1) return n - 1;
      try {
        return Reliability.neighboursFor(n, dropout, target);
      } catch (InvalidRequestException e) {
        if (!e.code().equals("SECAGG_DROPOUT_TOO_HIGH")) throw e;
        int most = Math.min(n - 1, MAX_NEIGHBOURS); // no graph meets the target: the densest allowed
        return (long) n * most % 2 == 0 ? most : most - 1;
      }
    }
  }
}
