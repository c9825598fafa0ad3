package dev.fedgrid.core.strategy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The kernels of the robust rules: coordinate-wise order statistics and Krum scores over {@code n}
 * updates of {@code d} values each, held as rows {@code float[n][d]}.
 *
 * <h2>Coordinate-wise rules</h2>
 *
 * {@link #coordinatewise} hands each coordinate's {@code n} values, sorted ascending, to a reducer
 * (median, trimmed mean, mean of the values closest to the median). Reading one coordinate across
 * the rows strides through memory, so the rows are copied a block of coordinates at a time into a
 * column-major scratch of about 64 KiB (which stays in the L1/L2 cache) and the columns are sorted
 * there. Cost: {@code O(d n log n)} time and about 16,384 floats of scratch (at least one column
 * of {@code n}).
 * Because a reducer sees sorted values, its result depends only on the multiset of values, never on
 * the order of the rows.
 *
 * <h2>Distances and Krum scores</h2>
 *
 * {@link #squaredDistances} computes the {@code n(n-1)/2} squared Euclidean distances once, in
 * double, blocked by coordinates so that a block of all rows (about 64 KiB, at least 64
 * coordinates) is read {@code n} times from cache rather than each whole row {@code n} times from
 * memory: {@code O(n^2 d)} time, {@code O(n^2)} memory.
 * {@link #krumRanking} scores each update {@code i} of a set of {@code k} as the sum of its {@code
 * max(1, k - f - 2)} smallest distances to the others (Blanchard et al. 2017, "Machine Learning with
 * Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS, the score {@code s(i)} of section 4),
 * in {@code O(k^2 log k)} from the distance matrix.
 *
 * <p>Stateless and thread-safe.
 */
final class RobustMath {
  /** Floats of column scratch per block: 64 KiB. */
  private static final int SCRATCH = 16_384;

  private RobustMath() {}

  /** Reduces one coordinate's values, sorted ascending, to the aggregate's value. */
  @FunctionalInterface
  interface ColumnReducer {
    double reduce(float[] sorted);
  }

  /**
   * Applies {@code reducer} to each coordinate's values across {@code rows}, sorted ascending.
   *
   * @param rows {@code n >= 1} arrays of {@code size} values each; not modified
   */
  static float[] coordinatewise(float[][] rows, int size, ColumnReducer reducer) {
    int n = rows.length;
    int block = Math.max(1, SCRATCH / n);
    float[][] columns = new float[Math.min(block, Math.max(size, 1))][n];
    float[] out = new float[size];
    for (int from = 0; from < size; from += block) {
      int width = Math.min(block, size - from);
      for (int r = 0; r < n; r++) {
        float[] row = rows[r];
        for (int c = 0; c < width; c++) columns[c][r] = row[from + c];
      }
      for (int c = 0; c < width; c++) {
        Arrays.sort(columns[c]);
        out[from + c] = (float) reducer.reduce(columns[c]);
      }
    }
    return out;
  }

  /** The median of sorted values: the middle one, or the mean of the two middle ones. */
  static double median(float[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : ((double) sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** The mean of {@code values[from..to)}, summed in double in index order. */
  static double mean(float[] values, int from, int to) {
    double sum = 0;
    for (int i = from; i < to; i++) sum += values[i];
    return sum / (to - from);
  }

  /**
   * The mean of the {@code count} sorted values closest to their median. Those values are a
   * contiguous run of the sorted array, grown outwards from the median one value at a time, taking
   * the smaller value when both sides are equally far, so the result depends only on the values.
   */
  static double meanClosestToMedian(float[] sorted, int count) {
    double median = median(sorted);
    int lo = lowerBound(sorted, median); // first index whose value is >= median
    int hi = lo; // the run is [lo, hi)
    while (hi - lo < count) {
      boolean takeLeft = hi >= sorted.length || (lo > 0 && median - sorted[lo - 1] <= sorted[hi] - median);
      if (takeLeft) lo--;
      else hi++;
    }
    return mean(sorted, lo, hi);
  }

  private static int lowerBound(float[] sorted, double value) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The symmetric matrix of squared Euclidean distances between the rows, in double. */
  static double[][] squaredDistances(float[][] rows, int size) {
    int n = rows.length;
    double[][] d = new double[n][n];
    int block = Math.max(64, SCRATCH / Math.max(1, n));
    for (int from = 0; from < size; from += block) {
      int to = Math.min(size, from + block);
      for (int i = 0; i < n; i++) {
        float[] a = rows[i];
        for (int j = i + 1; j < n; j++) {
          float[] b = rows[j];
          double s = 0;
          for (int k = from; k < to; k++) {
            double diff = (double) a[k] - b[k];
            s += diff * diff;
          }
          d[i][j] += s;
        }
      }
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < i; j++) d[i][j] = d[j][i];
    }
    return d;
  }

  /**
   * The members of {@code members} (row indices into {@code distances}) ordered by Krum score, best
   * first; equal scores keep the order of the row indices.
   */
  static List<Integer> krumRanking(double[][] distances, List<Integer> members, int byzantine) {
    int k = members.size();
    int neighbours = Math.min(k - 1, Math.max(1, k - byzantine - 2));
    double[] scores = new double[k];
    double[] others = new double[k - 1];
    for (int a = 0; a < k; a++) {
      int i = members.get(a);
      int o = 0;
      for (int b = 0; b < k; b++) {
        if (b != a) others[o++] = distances[i][members.get(b)];
      }
      Arrays.sort(others);
      double s = 0;
      for (int t = 0; t < neighbours; t++) s += others[t];
      scores[a] = s;
    }
    var order = new ArrayList<Integer>(k);
    for (int a = 0; a < k; a++) order.add(a);
    order.sort((x, y) -> scores[x] != scores[y] ? Double.compare(scores[x], scores[y]) : Integer.compare(members.get(x), members.get(y)));
    var ranked = new ArrayList<Integer>(k);
    for (int a : order) ranked.add(members.get(a));
    return ranked;
  }
}
