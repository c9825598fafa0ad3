package dev.fedgrid.core.data;

import dev.fedgrid.api.InvalidRequestException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Splits a dataset's rows among simulated nodes, the usual ways federated-learning papers build
 * IID and non-IID federations from one centralized dataset.
 *
 * <p>Every method returns one array of row indices per part: each index in {@code [0, rows)}
 * appears in exactly one part, every part has at least one row, and each part's indices are
 * sorted ascending. The same arguments and seed give the same split on every machine; the random
 * numbers come from {@link SplittableRandom}. The returned arrays are fresh and belong to the
 * caller. Thread-safe (stateless).
 */
public final class Partitioners {
  /** How many Dirichlet draws {@link #dirichlet} tries before giving up on filling every part. */
  static final int MAX_DIRICHLET_ATTEMPTS = 1000;

  private Partitioners() {}

  /**
   * Independent, identically distributed parts: the rows are shuffled and cut into {@code parts}
   * parts whose sizes differ by at most one. {@code O(rows log rows)}.
   *
   * @param rows the number of rows, at least {@code parts}
   * @param parts the number of parts, at least 1
   * @param seed the random seed
   * @throws InvalidRequestException with code {@code INVALID_PARTITION} when the arguments cannot
   *     give every part a row
   */
  public static List<int[]> iid(int rows, int parts, long seed) {
    requireParts(rows, parts);
    int[] order = identity(rows);
    shuffle(order, new SplittableRandom(seed));
    var out = new ArrayList<int[]>(parts);
    for (int k = 0; k < parts; k++) {
      out.add(sorted(Arrays.copyOfRange(order, cut(rows, parts, k), cut(rows, parts, k + 1))));
    }
    return List.copyOf(out);
  }

  /**
   * Label-skewed parts with Dirichlet proportions, the scheme of Hsu, Qi and Brown 2019 ("Measuring
   * the Effects of Non-Identical Data Distribution for Federated Visual Classification").
   *
   * <p>For each class {@code c}, in ascending label order, the class's {@code n_c} rows are
   * shuffled, a proportion vector {@code p ~ Dirichlet(alpha, ..., alpha)} over the parts is drawn,
   * and the shuffled rows are cut at {@code floor(n_c (p_1 + ... + p_j))} with the parts taken in a
   * fresh random order, so that rounding down does not starve the same parts class after class
   * (the symmetric Dirichlet is exchangeable, so the order changes nothing else). A large {@code alpha} (say 100) gives every part nearly
   * the global label distribution; a small one (0.1) gives each part few classes. The Dirichlet
   * vector is normalized Gamma variates, {@code Gamma(alpha, 1)} drawn by Marsaglia and Tsang 2000
   * ("A Simple Method for Generating Gamma Variables", ACM TOMS 26(3)), with their boost
   * {@code Gamma(a) = Gamma(a + 1) U^(1/a)} for {@code a < 1}, in log space so that tiny alphas do
   * not underflow to an all-zero vector.
   *
   * <p>When a draw leaves a part empty, all proportions are drawn again, up to {@value
   * #MAX_DIRICHLET_ATTEMPTS} times. {@code O(rows log rows + attempts * classes * parts)}.
   *
   * @param labels each row's class label (any int values)
   * @param parts the number of parts, at least 1 and at most the number of rows
   * @param alpha the Dirichlet concentration, finite and greater than 0
   * @param seed the random seed
   * @throws InvalidRequestException with code {@code INVALID_PARTITION} when the arguments are out of
   *     range, or when no draw gave every part a row (then raise {@code alpha} or use fewer parts)
   */
  public static List<int[]> dirichlet(int[] labels, int parts, double alpha, long seed) {
    Objects.requireNonNull(labels, "labels");
    requireParts(labels.length, parts);
    if (!(alpha > 0) || !Double.isFinite(alpha)) {
      throw new InvalidRequestException("INVALID_PARTITION", "the Dirichlet alpha must be finite and greater than 0, got " + alpha);
    }
    SplittableRandom rng = new SplittableRandom(seed);
    int[][] classes = byClass(labels);
    for (int[] rows : classes) shuffle(rows, rng);

    // from[c][k], to[c][k]: the slice of class c's shuffled rows that goes to part k
    int[][] from = new int[classes.length][parts];
    int[][] to = new int[classes.length][parts];
    for (int attempt = 1; attempt <= MAX_DIRICHLET_ATTEMPTS; attempt++) {
      int[] sizes = new int[parts];
      for (int c = 0; c < classes.length; c++) {
        int n = classes[c].length;
        double[] p = dirichletVector(parts, alpha, rng);
        int[] order = identity(parts);
        shuffle(order, rng);
        double cumulative = 0;
        int start = 0;
        for (int j = 0; j < parts; j++) {
          int k = order[j];
          cumulative += p[k];
          int end = j == parts - 1 ? n : Math.max(start, Math.min(n, (int) Math.floor(n * cumulative)));
          from[c][k] = start;
          to[c][k] = end;
          sizes[k] += end - start;
          start = end;
        }
      }
      if (Arrays.stream(sizes).allMatch(s -> s > 0)) {
        var out = new ArrayList<int[]>(parts);
        for (int k = 0; k < parts; k++) {
          int[] part = new int[sizes[k]];
          int at = 0;
          for (int c = 0; c < classes.length; c++) {
            System.arraycopy(classes[c], from[c][k], part, at, to[c][k] - from[c][k]);
            at += to[c][k] - from[c][k];
          }
          out.add(sorted(part));
        }
        return List.copyOf(out);
      }
    }
    throw new InvalidRequestException(
        "INVALID_PARTITION",
        "no Dirichlet(" + alpha + ") split of " + labels.length + " rows in " + classes.length + " classes gave each of " + parts
            + " parts a row in " + MAX_DIRICHLET_ATTEMPTS + " draws; raise alpha or use fewer parts",
        Map.of("rows", labels.length, "classes", classes.length, "parts", parts, "alpha", alpha));
  }

  /**
   * Pathological non-IID shards, the scheme of McMahan et al. 2017 ("Communication-Efficient
   * Learning of Deep Networks from Decentralized Data"): rows are sorted by label (ties by index),
   * cut into {@code parts * shardsPerPart} contiguous shards of sizes differing by at most one, and
   * the shards are dealt at random, {@code shardsPerPart} to each part. With shards no larger than
   * a class, each part sees at most {@code 2 * shardsPerPart} labels. {@code O(rows log rows)}.
   *
   * @param labels each row's class label (any int values)
   * @param parts the number of parts, at least 1
   * @param shardsPerPart shards per part, at least 1; {@code parts * shardsPerPart} must not exceed
   *     the number of rows
   * @param seed the random seed
   * @throws InvalidRequestException with code {@code INVALID_PARTITION} when the arguments are out of
   *     range
   */
  public static List<int[]> shards(int[] labels, int parts, int shardsPerPart, long seed) {
    Objects.requireNonNull(labels, "labels");
    if (shardsPerPart < 1) {
      throw new InvalidRequestException("INVALID_PARTITION", "each part needs at least 1 shard, got " + shardsPerPart);
    }
    requireParts(labels.length, parts);
    long shardCount = (long) parts * shardsPerPart;
    if (shardCount > labels.length) {
      throw new InvalidRequestException(
          "INVALID_PARTITION",
          parts + " parts of " + shardsPerPart + " shards need at least " + shardCount + " rows but there are " + labels.length
              + "; use fewer parts or fewer shards per part");
    }
    int rows = labels.length;
    long[] keys = new long[rows];
    for (int i = 0; i < rows; i++) keys[i] = ((long) labels[i] << 32) | i;
    Arrays.sort(keys);
    int shardTotal = (int) shardCount;
    int[] dealt = identity(shardTotal);
    shuffle(dealt, new SplittableRandom(seed));
    var out = new ArrayList<int[]>(parts);
    for (int k = 0; k < parts; k++) {
      int size = 0;
      for (int s = k * shardsPerPart; s < (k + 1) * shardsPerPart; s++) {
        size += cut(rows, shardTotal, dealt[s] + 1) - cut(rows, shardTotal, dealt[s]);
      }
      int[] part = new int[size];
      int at = 0;
      for (int s = k * shardsPerPart; s < (k + 1) * shardsPerPart; s++) {
        for (int j = cut(rows, shardTotal, dealt[s]); j < cut(rows, shardTotal, dealt[s] + 1); j++) {
          part[at++] = (int) keys[j];
        }
      }
      out.add(sorted(part));
    }
    return List.copyOf(out);
  }

  /** A sample of {@code Dirichlet(alpha, ..., alpha)} of dimension {@code k}. */
  static double[] dirichletVector(int k, double alpha, SplittableRandom rng) {
    double[] logs = new double[k];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < k; i++) {
      logs[i] = logGamma(alpha, rng);
      max = Math.max(max, logs[i]);
    }
    double total = 0;
    double[] p = new double[k];
    for (int i = 0; i < k; i++) {
      p[i] = Math.exp(logs[i] - max);
      total += p[i];
    }
    for (int i = 0; i < k; i++) p[i] /= total;
    return p;
  }

  /**
   * The logarithm of a {@code Gamma(shape, 1)} variate, by Marsaglia and Tsang's squeeze and
   * rejection method; about 1.03 normal draws per variate for {@code shape >= 1}.
   */
  static double logGamma(double shape, SplittableRandom rng) {
    if (shape < 1) {
      double u = 1 - rng.nextDouble(); // in (0, 1]
      return logGamma(shape + 1, rng) + Math.log(u) / shape;
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x;
      double v;
      do {
        x = rng.nextGaussian();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      double u = 1 - rng.nextDouble();
      double x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) {
        return Math.log(d) + Math.log(v);
      }
    }
  }

  /** The row indices of each distinct label, labels ascending, indices ascending. */
  private static int[][] byClass(int[] labels) {
    var counts = new TreeMap<Integer, int[]>();
    for (int label : labels) counts.computeIfAbsent(label, l -> new int[1])[0]++;
    var slot = new TreeMap<Integer, Integer>();
    int[][] classes = new int[counts.size()][];
    int c = 0;
    for (var e : counts.entrySet()) {
      classes[c] = new int[e.getValue()[0]];
      slot.put(e.getKey(), c++);
    }
    int[] fill = new int[classes.length];
    for (int i = 0; i < labels.length; i++) {
      int s = slot.get(labels[i]);
      classes[s][fill[s]++] = i;
    }
    return classes;
  }

  private static void requireParts(int rows, int parts) {
    if (parts < 1) {
      throw new InvalidRequestException("INVALID_PARTITION", "a split needs at least 1 part, got " + parts);
    }
    if (rows < parts) {
      throw new InvalidRequestException(
          "INVALID_PARTITION", rows + " rows cannot give each of " + parts + " parts a row; use at most " + rows + " parts");
    }
  }

  /** Start of piece {@code k} when {@code n} items are cut into {@code pieces} nearly equal pieces. */
  private static int cut(int n, int pieces, int k) {
    return (int) ((long) n * k / pieces);
  }

  private static int[] identity(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) a[i] = i;
    return a;
  }

  /** Fisher–Yates (Durstenfeld) shuffle, {@code O(n)}. */
  private static void shuffle(int[] a, SplittableRandom rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  private static int[] sorted(int[] a) {
    Arrays.sort(a);
    return a;
  }
}
