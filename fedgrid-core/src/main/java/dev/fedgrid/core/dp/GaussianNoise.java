package dev.fedgrid.core.dp;

import dev.fedgrid.api.InvalidRequestException;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Adds Gaussian noise {@code N(0, (sigma C)^2)} to a sum of clipped updates: the noise step of
 * central DP-FedAvg (McMahan, Ramage, Talwar, Zhang 2018, "Learning Differentially Private Recurrent
 * Language Models", Algorithm 1).
 *
 * <h2>Use</h2>
 *
 * Clip each node's update to norm {@code C} ({@link Clipping#clipToNorm}), sum them (unweighted, or
 * with weights at most 1 so that one node moves the sum by at most {@code C}), call {@link #addTo}
 * on the sum, then divide by the <em>expected</em> number of nodes per round {@code qN} (the fixed
 * denominator of the paper's estimator; dividing by the actual count would leak it). The privacy
 * spent per round is one step of {@link RdpAccountant#compose} with noise multiplier {@code sigma}
 * and sampling rate {@code q}.
 *
 * <h2>Algorithm</h2>
 *
 * Normal deviates by Marsaglia's polar method (Marsaglia and Bray 1964, "A Convenient Method for
 * Generating Normal Variables", SIAM Review 6(3)): draw {@code u, v} uniform on (-1, 1) until {@code
 * 0 < s = u^2 + v^2 < 1}, then {@code u f} and {@code v f} with {@code f = sqrt(-2 ln s / s)} are two
 * independent standard normals; on average 1.27 pairs of uniforms per pair of normals, one {@code
 * log} and one {@code sqrt}. Uniforms are doubles with 53 random bits. Noise is formed in double and
 * added to each float element with one rounding.
 *
 * <p>The randomness is always a {@link SecureRandom} seeded by the platform, read in 8 KiB blocks so
 * that a million-parameter model costs one pass of the platform generator over about 10 MiB (tens
 * of milliseconds), not a million synchronized calls. A predictable generator would let anyone who
 * knows its seed subtract the noise. Only tests inject a {@link RandomGenerator}, through the
 * package-private constructor.
 *
 * <p>Caveat: like most implementations, this samples from a floating-point approximation of the
 * Gaussian; Mironov 2012 ("On Significance of the Least Significant Bits for Differential Privacy",
 * CCS) shows such samplers can leak through the low-order bits of their output in principle. The
 * discrete Gaussian (Canonne, Kamath, Steinke 2020) is the remedy should that threat model apply.
 *
 * <p>Cost: {@code O(d)} for {@code d} elements. Not thread-safe: use one instance per aggregation or
 * per thread.
 */
public final class GaussianNoise {
  private final double stdDev;
  private final double noiseMultiplier;
  private final double clipNorm;
  private final RandomGenerator random;
  private double spare;
  private boolean hasSpare;

  /**
   * Noise of standard deviation {@code noiseMultiplier * clipNorm}, drawn from a new platform-seeded
   * {@link SecureRandom}.
   *
   * @param noiseMultiplier {@code sigma}, finite and at least 0
   * @param clipNorm the clip norm {@code C} of the summed updates, finite and greater than 0
   * @throws InvalidRequestException with code {@code INVALID_NOISE_MULTIPLIER} or {@code
   *     INVALID_CLIP_NORM}
   */
  public GaussianNoise(double noiseMultiplier, double clipNorm) {
    this(noiseMultiplier, clipNorm, new BufferedSecureRandom(new SecureRandom()));
  }

  /** For tests only: a reproducible generator instead of {@link SecureRandom}. */
  GaussianNoise(double noiseMultiplier, double clipNorm, RandomGenerator random) {
    if (!(noiseMultiplier >= 0) || !Double.isFinite(noiseMultiplier)) {
      throw new InvalidRequestException("INVALID_NOISE_MULTIPLIER", "the noise multiplier must be finite and at least 0, got " + noiseMultiplier);
    }
    if (!(clipNorm > 0) || !Double.isFinite(clipNorm)) {
      throw new InvalidRequestException("INVALID_CLIP_NORM", "the clip norm must be finite and greater than 0, got " + clipNorm);
    }
    this.noiseMultiplier = noiseMultiplier;
    this.clipNorm = clipNorm;
    this.stdDev = noiseMultiplier * clipNorm;
    this.random = Objects.requireNonNull(random, "random");
  }

  /** {@code sigma}, the noise standard deviation in units of the clip norm. */
  public double noiseMultiplier() {
    return noiseMultiplier;
  }

  /** The clip norm {@code C}. */
  public double clipNorm() {
    return clipNorm;
  }

  /** The standard deviation {@code sigma C} of the noise added to each element. */
  public double standardDeviation() {
    return stdDev;
  }

  /** Adds independent {@code N(0, (sigma C)^2)} noise to every element of {@code sum}, in place. */
  public void addTo(float[] sum) {
    Objects.requireNonNull(sum, "sum");
    for (int i = 0; i < sum.length; i++) sum[i] = (float) (sum[i] + stdDev * nextStandardNormal());
  }

  /** One {@code N(0, (sigma C)^2)} sample, for a scalar such as a count. */
  public double sample() {
    return stdDev * nextStandardNormal();
  }

  /** A standard normal deviate by the polar method. */
  double nextStandardNormal() {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    double u;
    double v;
    double s;
    do {
      u = 2 * random.nextDouble() - 1;
      v = 2 * random.nextDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double f = Math.sqrt(-2 * Math.log(s) / s);
    spare = v * f;
    hasSpare = true;
    return u * f;
  }

  /** A {@link SecureRandom} read in blocks, as a {@link RandomGenerator} of longs. */
  private static final class BufferedSecureRandom implements RandomGenerator {
    private static final int BLOCK = 8192;
    private final SecureRandom source;
    private final byte[] buffer = new byte[BLOCK];
    private int position = BLOCK;

    BufferedSecureRandom(SecureRandom source) {
      this.source = source;
    }

    @Override
    public long nextLong() {
      if (position == BLOCK) {
        source.nextBytes(buffer);
        position = 0;
      }
      long value = 0;
      for (int i = 0; i < Long.BYTES; i++) value = (value << 8) | (buffer[position + i] & 0xFF);
      position += Long.BYTES;
      return value;
    }
  }
}
