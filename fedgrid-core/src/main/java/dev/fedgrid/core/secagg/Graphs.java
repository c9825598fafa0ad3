package dev.fedgrid.core.secagg;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The communication graph of a SecAgg+ round: which pairs of nodes agree on a pairwise mask and
 * hold each other's shares.
 *
 * <p>The graph is the Harary graph H(k, n) (Harary 1962, "The maximum connectivity of a graph",
 * PNAS 48(7)) under a uniformly random relabelling of the nodes, as in Google's production SecAgg
 * (its {@code SecretSharingHararyGraph}). H(k, n) is the circulant graph that joins node {@code i}
 * to {@code i ± 1, ..., i ± ⌊k/2⌋} (mod n), plus the diametric node {@code i + n/2} when k is odd
 * (which needs n even); it is k-regular and k-connected, the most a k-regular graph can be. Bell et
 * al. (CCS 2020) analyse an Erdős–Rényi graph of expected degree k; the random Harary graph gives
 * every node exactly k neighbours instead. With {@code k = n - 1} it is the complete graph, and the
 * protocol is that of Bonawitz et al. (CCS 2017). Cost: {@code O(n k log k)} time, {@code O(n k)}
 * memory. Stateless and thread-safe.
 */
final class Graphs {
  private Graphs() {}

  /**
   * A random k-regular graph on nodes {@code 0..n-1} as sorted neighbour lists.
   *
   * @param n the number of nodes, at least 2
   * @param k the degree, 1 to {@code n - 1}, with {@code n k} even
   */
  static int[][] randomHarary(int n, int k, RandomGenerator random) {
    int[] label = new int[n];
    for (int i = 0; i < n; i++) label[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = label[i];
      label[i] = label[j];
      label[j] = swap;
    }
    int[][] neighbours = new int[n][k];
    int[] filled = new int[n];
    for (int i = 0; i < n; i++) {
      for (int offset = 1; offset <= k / 2; offset++) {
        link(neighbours, filled, label[i], label[(i + offset) % n]);
      }
      if (k % 2 == 1 && i < n / 2) link(neighbours, filled, label[i], label[i + n / 2]);
    }
    for (int[] list : neighbours) Arrays.sort(list);
    return neighbours;
  }

  private static void link(int[][] neighbours, int[] filled, int a, int b) {
    neighbours[a][filled[a]++] = b;
    neighbours[b][filled[b]++] = a;
  }
}
