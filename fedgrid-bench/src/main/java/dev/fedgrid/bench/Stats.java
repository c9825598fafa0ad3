package dev.fedgrid.bench;

import java.util.Arrays;

/** Order statistics of benchmark samples, for the reports. */
final class Stats {
  private Stats() {}

  /** The median; the mean of the two middle values for an even count. */
  static double median(double[] samples) {
    double[] s = sorted(samples);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /**
   * The nearest-rank percentile: the smallest sample with at least {@code p} percent of the samples
   * at or below it ({@code p} in (0, 100]).
   */
  static double percentile(double[] samples, double p) {
    if (!(p > 0 && p <= 100)) throw new IllegalArgumentException("p must be in (0, 100], got " + p);
    double[] s = sorted(samples);
    int rank = (int) Math.ceil(p / 100 * s.length);
    return s[Math.max(rank, 1) - 1];
  }

  private static double[] sorted(double[] samples) {
    if (samples.length == 0) throw new IllegalArgumentException("no samples");
    double[] s = samples.clone();
    Arrays.sort(s);
    return s;
  }
}
