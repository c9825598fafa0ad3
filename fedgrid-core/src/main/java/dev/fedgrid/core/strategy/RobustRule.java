package dev.fedgrid.core.strategy;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.core.aggregate.WeightedSum;
import java.util.ArrayList;
import java.util.List;

/**
 * A Byzantine-robust aggregation rule: a function of all of a round's updates at once, which is why
 * these rules cannot stream (see {@link RobustRound}). The maths lives in {@link RobustMath}.
 *
 * <p>Every rule is given the updates sorted by node id and breaks every tie by that order (or by
 * value, for coordinate-wise rules), and sums in a fixed order, so its result depends only on the
 * set of updates, never on the order they arrived in. Immutable and thread-safe.
 */
sealed interface RobustRule {
  /** One node's update: its node, its values (not to be modified) and its number of examples. */
  record Update(NodeId node, float[] values, long examples) {}


  /** The condition on the number of updates {@code n}, as the paper states it, such as {@code n > 2f + 2}. */
  String requirement();

  /** The number of faulty nodes tolerated, {@code f}. */
  int byzantine();

  /**
   * The aggregate of {@code updates}, sorted by node id, at least {@link dev.fedgrid.api.strategy.StrategyConfig#minimumUpdates()} of them and
   * all of {@code size} values.
   */
  float[] aggregate(List<Update> updates, int size);

  /** FedMedian: each coordinate is the median of the updates' values, unweighted. */
  record Median() implements RobustRule {

    @Override
    public String requirement() {
      return "n >= 1";
    }

    @Override
    public int byzantine() {
      return 0;
    }

    @Override
    public float[] aggregate(List<Update> updates, int size) {
      return RobustMath.coordinatewise(rows(updates), size, RobustMath::median);
    }
  }

  /**
   * FedTrimmedAvg: per coordinate, the unweighted mean of the values left after dropping the {@code
   * floor(beta n)} smallest and largest, as scipy's {@code trim_mean} and Flower's {@code
   * aggregate_trimmed_avg} do. Since {@code beta < 0.5} at least one value always remains.
   */
  record TrimmedMean(double beta) implements RobustRule {

    @Override
    public String requirement() {
      return "n >= 1";
    }

    @Override
    public int byzantine() {
      return 0;
    }

    @Override
    public float[] aggregate(List<Update> updates, int size) {
      int cut = (int) Math.floor(beta * updates.size());
      return RobustMath.coordinatewise(rows(updates), size, sorted -> RobustMath.mean(sorted, cut, sorted.length - cut));
    }
  }

  /**
   * Krum (Blanchard et al. 2017): the update whose {@code n - f - 2} nearest other updates are
   * closest in summed squared Euclidean distance, returned as it is.
   */
  record Krum(int byzantine) implements RobustRule {

    @Override
    public String requirement() {
      return "n > 2f + 2";
    }

    @Override
    public float[] aggregate(List<Update> updates, int size) {
      float[][] rows = rows(updates);
      double[][] distances = RobustMath.squaredDistances(rows, size);
      int best = RobustMath.krumRanking(distances, all(rows.length), byzantine).getFirst();
      return rows[best].clone();
    }
  }

  /**
   * Multi-Krum (Blanchard et al. 2017, section 5): the mean of the {@code m} updates with the lowest
   * Krum scores, weighted by their examples as Flower's {@code aggregate_krum} does with {@code
   * num_clients_to_keep > 0}; {@code m} defaults to {@code n - f}. Weighting by examples keeps
   * Multi-Krum with {@code f = 0, m = n} equal to FedAvg; the selection already bounds what a
   * Byzantine node can contribute, though one that also lies about its examples gains weight among
   * the selected.
   *
   * @param select {@code m}, or null for {@code n - f}
   */
  record MultiKrum(int byzantine, Integer select) implements RobustRule {

    @Override
    public String requirement() {
      return select == null ? "n > 2f + 2" : "n > 2f + 2 and n >= select (" + select + ")";
    }

    @Override
    public float[] aggregate(List<Update> updates, int size) {
      float[][] rows = rows(updates);
      int m = select == null ? rows.length - byzantine : select;
      List<Integer> chosen = new ArrayList<>(RobustMath.krumRanking(RobustMath.squaredDistances(rows, size), all(rows.length), byzantine).subList(0, m));
      chosen.sort(null); // sum in node order
      var sum = new WeightedSum(size);
      for (int i : chosen) sum.add(rows[i], updates.get(i).examples());
      return sum.mean();
    }
  }

  /**
   * Bulyan (El Mhamdi, Guerraoui and Rouault 2018, Algorithm 1 with Krum as the selection rule):
   * Krum picks one update at a time from those not yet picked, scoring within what remains, until
   * {@code theta = n - 2f} are picked; then each coordinate is the unweighted mean of the {@code
   * beta = theta - 2f} picked values closest to their median. As in Flower's {@code
   * aggregate_bulyan}, each Krum pass keeps {@code f} and uses {@code max(1, k - f - 2)} neighbours
   * for {@code k} remaining updates.
   */
  record Bulyan(int byzantine) implements RobustRule {

    @Override
    public String requirement() {
      return "n >= 4f + 3";
    }

    @Override
    public float[] aggregate(List<Update> updates, int size) {
      float[][] rows = rows(updates);
      double[][] distances = RobustMath.squaredDistances(rows, size);
      int theta = rows.length - 2 * byzantine;
      int beta = theta - 2 * byzantine;
      List<Integer> remaining = all(rows.length);
      float[][] picked = new float[theta][];
      for (int t = 0; t < theta; t++) {
        int best = RobustMath.krumRanking(distances, remaining, byzantine).getFirst();
        picked[t] = rows[best];
        remaining.remove(Integer.valueOf(best));
      }
      return RobustMath.coordinatewise(picked, size, sorted -> RobustMath.meanClosestToMedian(sorted, beta));
    }
  }

  private static float[][] rows(List<Update> updates) {
    float[][] rows = new float[updates.size()][];
    for (int i = 0; i < rows.length; i++) rows[i] = updates.get(i).values();
    return rows;
  }

  private static List<Integer> all(int n) {
    var all = new ArrayList<Integer>(n);
    for (int i = 0; i < n; i++) all.add(i);
    return all;
  }
}
