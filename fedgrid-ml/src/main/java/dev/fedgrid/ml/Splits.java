package dev.fedgrid.ml;

import dev.fedgrid.api.dataset.ColumnStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The train/test split and the statistics shared by the dataset readers.
 *
 * <p>Stateless and thread-safe.
 */
final class Splits {
  private Splits() {}

  /**
   * Splits row indices {@code 0..labels.length-1} into {@code {train, test}}, each in ascending order.
   * With {@code numClasses > 0} the split is stratified: each class gives {@code round(n_c *
   * testFraction)} of its {@code n_c} rows to the test split, keeping at least one for training;
   * otherwise {@code round(n * testFraction)} rows go, keeping at least one. Which rows go is drawn
   * by a {@code java.util.Random(seed)} shuffle, so the split is reproducible.
   */
  static int[][] split(float[] labels, int numClasses, double testFraction, long seed) {
    int n = labels.length;
    var random = new Random(seed);
    boolean[] isTest = new boolean[n];
    List<int[]> groups = new ArrayList<>();
    if (numClasses > 0) {
      int[] counts = new int[numClasses];
      for (float y : labels) counts[(int) y]++;
      int[][] byClass = new int[numClasses][];
      for (int c = 0; c < numClasses; c++) byClass[c] = new int[counts[c]];
      int[] fill = new int[numClasses];
      for (int i = 0; i < n; i++) {
        int c = (int) labels[i];
        byClass[c][fill[c]++] = i;
      }
      groups.addAll(Arrays.asList(byClass));
    } else {
      int[] all = new int[n];
      for (int i = 0; i < n; i++) all[i] = i;
      groups.add(all);
    }
    int testRows = 0;
    for (int[] group : groups) {
      shuffle(group, random);
      int take = Math.min((int) Math.round(group.length * testFraction), Math.max(group.length - 1, 0));
      for (int k = 0; k < take; k++) isTest[group[k]] = true;
      testRows += take;
    }
    int[] train = new int[n - testRows];
    int[] test = new int[testRows];
    int a = 0;
    int b = 0;
    for (int i = 0; i < n; i++) {
      if (isTest[i]) test[b++] = i;
      else train[a++] = i;
    }
    return new int[][] {train, test};
  }

  /** The rows {@code indices} of row-major {@code features} ({@code width} per row) and {@code labels}. */
  static LocalData gather(List<Integer> shape, int width, float[] features, float[] labels, int[] indices) {
    float[] x = new float[indices.length * width];
    float[] y = new float[indices.length];
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(features, indices[i] * width, x, i * width, width);
      y[i] = labels[indices[i]];
    }
    return new LocalData(shape, x, y, indices.length);
  }

  /** Count, mean and population standard deviation of each column of {@code data}, in two passes. */
  static List<ColumnStats> columnStats(List<String> names, LocalData data) {
    int width = data.width();
    int rows = data.rows();
    float[] x = data.features();
    double[] mean = new double[width];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < width; j++) mean[j] += x[i * width + j];
    }
    for (int j = 0; j < width; j++) mean[j] /= rows;
    double[] squares = new double[width];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < width; j++) {
        double d = x[i * width + j] - mean[j];
        squares[j] += d * d;
      }
    }
    var stats = new ArrayList<ColumnStats>(width);
    for (int j = 0; j < width; j++) stats.add(new ColumnStats(names.get(j), rows, mean[j], Math.sqrt(squares[j] / rows)));
    return stats;
  }

  /** How many of {@code labels} hold each class {@code 0..numClasses-1}. */
  static List<Long> classCounts(float[] labels, int numClasses) {
    long[] counts = new long[numClasses];
    for (float y : labels) counts[(int) y]++;
    return Arrays.stream(counts).boxed().toList();
  }

  private static void shuffle(int[] a, Random random) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
