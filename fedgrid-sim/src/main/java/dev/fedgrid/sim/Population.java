package dev.fedgrid.sim;

import dev.fedgrid.core.data.Partitioners;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Which training rows each virtual node holds. A population no larger than the data set is split
 * once with core's {@link Partitioners} (every row in exactly one node); a larger one is derived
 * lazily: node {@code i}'s rows come from a generator seeded by {@code (seed, i)} when it is first
 * asked for, so a million-node population costs nothing until nodes are sampled, and nodes may
 * share rows (each draws {@code rowsPerNode} of them, with replacement across nodes).
 *
 * <p>Splits: IID; Dirichlet(alpha) label skew (Hsu et al. 2019); pathological shards of one or two
 * labels each (McMahan et al. 2017); quantity skew with IID rows, the nodes' shares of the rows
 * drawn from Dirichlet(alpha) over the nodes (Li et al. 2022, "Federated Learning on Non-IID Data
 * Silos: An Experimental Study"): each node's weight is Gamma(alpha, 1), so its size has coefficient
 * of variation 1/sqrt(alpha), and a smaller alpha gives more skew. A split population gives every
 * node at least one row and divides the rest in proportion to the weights; a lazy one gives node
 * {@code i} {@code max(1, round(rowsPerNode * w_i / alpha))} rows (the shares a split gives as
 * the number of nodes grows, mean {@code rowsPerNode}), at most as many as the data set has.
 *
 * <p>Immutable and thread-safe.
 */
public final class Population {
  public enum Split {
    IID, DIRICHLET, SHARDS, QUANTITY_SKEW;

    /** Whether the split takes an alpha (Dirichlet label or quantity skew). */
    public boolean takesAlpha() {
      return this == DIRICHLET || this == QUANTITY_SKEW;
    }

    public static Split parse(String text) {
      return switch (text.strip().toLowerCase(Locale.ROOT).replace('_', '-')) {
        case "iid" -> IID;
        case "dirichlet" -> DIRICHLET;
        case "shards", "pathological" -> SHARDS;
        case "quantity-skew", "quantity" -> QUANTITY_SKEW;
        default -> throw new IllegalArgumentException("unknown partition '" + text + "'; use iid, dirichlet, shards or quantity-skew");
      };
    }
  }

  private final int size;
  private final Split split;
  private final double alpha;
  private final int shardsPerNode;
  private final int rowsPerNode;
  private final int[] labels;
  private final long seed;
  private final List<int[]> materialised; // null when lazy
  private final int[][] byClass; // row indices of each class, for lazy label skew
  private final int[] sortedByLabel;

  /**
   * @param size the number of virtual nodes
   * @param labels each training row's class (any ints for regression: they only steer label skew)
   * @param alpha the concentration of Dirichlet label skew and of quantity skew (finite, above 0);
   *     ignored by the other splits
   * @param rowsPerNode rows each node draws in a lazy population (the mean for quantity skew)
   * @throws IllegalArgumentException if {@code size} is below 1 or the split needs an alpha and
   *     {@code alpha} is not finite and above 0
   */
  public Population(int size, Split split, double alpha, int shardsPerNode, int rowsPerNode, int[] labels, long seed) {
    if (size < 1) throw new IllegalArgumentException("a population needs at least one node");
    if (split.takesAlpha() && !(alpha > 0 && Double.isFinite(alpha))) {
      throw new IllegalArgumentException("the " + split.name().toLowerCase(Locale.ROOT).replace('_', '-') + " alpha must be finite and greater than 0, got " + alpha);
    }
    this.size = size;
    this.split = split;
    this.alpha = alpha;
    this.shardsPerNode = shardsPerNode;
    this.rowsPerNode = Math.max(1, rowsPerNode);
    this.labels = labels;
    this.seed = seed;
    if (size <= labels.length) {
      materialised = switch (split) {
        case IID -> Partitioners.iid(labels.length, size, seed);
        case DIRICHLET -> Partitioners.dirichlet(labels, size, alpha, seed);
        case SHARDS -> Partitioners.shards(labels, size, shardsPerNode, seed);
        case QUANTITY_SKEW -> quantitySkew(labels.length, size, alpha, seed);
      };
      byClass = null;
      sortedByLabel = null;
    } else {
      materialised = null;
      int classes = 0;
      for (int l : labels) classes = Math.max(classes, l + 1);
      var lists = new ArrayList<List<Integer>>();
      for (int c = 0; c < classes; c++) lists.add(new ArrayList<>());
      for (int r = 0; r < labels.length; r++) lists.get(Math.max(0, labels[r])).add(r);
      byClass = lists.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
      sortedByLabel = java.util.Arrays.stream(byClass).flatMapToInt(java.util.Arrays::stream).toArray();
    }
  }

  public int size() {
    return size;
  }

  /** Whether nodes' rows are derived on demand rather than split once. */
  public boolean lazy() {
    return materialised == null;
  }

  /** Node {@code node}'s training rows, a fresh array. */
  public int[] rows(int node) {
    if (materialised != null) return materialised.get(node).clone();
    var r = new SplittableRandom(Seeds.mix(seed, node, 7));
    return switch (split) {
      case IID -> draw(r, rowsPerNode);
      case QUANTITY_SKEW -> draw(r, (int) Math.max(1, Math.min(labels.length, Math.round(rowsPerNode * gamma(r, alpha) / alpha))));
      case DIRICHLET -> dirichletRows(r);
      case SHARDS -> shardRows(r);
    };
  }

  private int[] draw(SplittableRandom r, int m) {
    int[] out = new int[m];
    for (int i = 0; i < m; i++) out[i] = r.nextInt(labels.length);
    return out;
  }

  private int[] dirichletRows(SplittableRandom r) {
    double[] p = new double[byClass.length];
    double sum = 0;
    for (int c = 0; c < p.length; c++) sum += p[c] = byClass[c].length == 0 ? 0 : gamma(r, alpha);
    int[] out = new int[rowsPerNode];
    for (int i = 0; i < out.length; i++) {
      double u = r.nextDouble() * sum;
      int c = 0;
      while (c < p.length - 1 && (u -= p[c]) >= 0) c++;
      while (byClass[c].length == 0) c = (c + 1) % byClass.length;
      out[i] = byClass[c][r.nextInt(byClass[c].length)];
    }
    return out;
  }

  /** {@code shardsPerNode} contiguous runs of the label-sorted rows, {@code rowsPerNode} rows in all. */
  private int[] shardRows(SplittableRandom r) {
    int per = Math.max(1, rowsPerNode / shardsPerNode);
    int[] out = new int[per * shardsPerNode];
    for (int s = 0; s < shardsPerNode; s++) {
      int from = r.nextInt(Math.max(1, sortedByLabel.length - per + 1));
      for (int i = 0; i < per; i++) out[s * per + i] = sortedByLabel[Math.min(from + i, sortedByLabel.length - 1)];
    }
    return out;
  }

  /**
   * Every node one row, the other {@code rows - parts} in proportion to Gamma(alpha) weights (a
   * Dirichlet draw), cut from one shuffle.
   */
  private static List<int[]> quantitySkew(int rows, int parts, double alpha, long seed) {
    var r = new SplittableRandom(seed);
    double[] w = new double[parts];
    double sum = 0;
    // in logs, scaled by the largest: for small alpha a Gamma draw can underflow to 0 in every node
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < parts; i++) max = Math.max(max, w[i] = logGamma(r, alpha));
    for (int i = 0; i < parts; i++) sum += w[i] = Math.exp(w[i] - max);
    int[] sizes = new int[parts];
    int given = 0;
    for (int i = 0; i < parts; i++) given += sizes[i] = 1 + (int) Math.floor((rows - parts) * w[i] / sum);
    for (int i = 0; given < rows; i = (i + 1) % parts, given++) sizes[i]++;
    int[] order = Partitioners.iid(rows, 1, seed).getFirst();
    // shuffle, then cut
    for (int i = rows - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    var out = new ArrayList<int[]>(parts);
    int at = 0;
    for (int s : sizes) {
      int[] part = java.util.Arrays.copyOfRange(order, at, at + s);
      java.util.Arrays.sort(part);
      out.add(part);
      at += s;
    }
    return out;
  }

  private static double gaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  /** The log of a Gamma(shape, 1) draw, with the boost for shape below 1 taken in logs so that it cannot underflow. */
  private static double logGamma(SplittableRandom r, double shape) {
    if (shape < 1) return logGamma(r, shape + 1) + Math.log(1 - r.nextDouble()) / shape;
    return Math.log(gamma(r, shape));
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang (2000), with the boost for shape below 1. */
  private static double gamma(SplittableRandom r, double shape) {
    if (shape < 1) return gamma(r, shape + 1) * Math.pow(r.nextDouble(), 1 / shape);
    double d = shape - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = gaussian(r), v = 1 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      double u = r.nextDouble();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  @Override
  public String toString() {
    return size + " nodes, " + split.name().toLowerCase(Locale.ROOT).replace('_', '-') + (split.takesAlpha() ? " (alpha " + alpha + ")" : "")
        + (lazy() ? ", derived lazily (" + rowsPerNode + " rows per node)" : "");
  }
}
