package dev.fedgrid.core.secagg;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Map;

/**
 * How often a SecAgg+ round must be abandoned because clients dropped out, and the sparsest graph
 * that keeps that below a target.
 *
 * <p><b>When a round is abandoned.</b> The server unmasks the sum only if, for every client, it can
 * reconstruct one secret from {@code t} shares: the self-mask seed of a client that delivered its
 * masked input, or the key-agreement secret of a client that dropped out. A client's shares are
 * held by its {@code k} neighbours and by the client itself, and only holders that are still there
 * answer. So with each client dropping out independently with probability {@code p} (surviving with
 * {@code s = 1 - p}), and {@code B ~ Binomial(k, s)} the surviving neighbours of one client:
 *
 * <pre>
 *   P(client u blocks the round) = s · P(B + 1 < t) + p · P(B < t)
 *   P(round abandoned) ≤ n · P(client u blocks) + P(Binomial(n, s) < t)
 * </pre>
 *
 * by the union bound over clients (the last term: too few survivors to sum at all). The bound is
 * conservative: blocked clients cluster (one dropped node is missing from several neighbourhoods),
 * so on real random Harary graphs the measured rate is about half the bound ({@code
 * ReliabilityTest} counts it by Monte Carlo); choosing k by the bound errs on the safe side. Dropping out is modelled once per round,
 * whatever the stage; a client that drops after its masked input arrived still answers for others
 * only if it is there in the unmasking stage, which this model counts as a drop-out as well.
 *
 * <p><b>Choosing k.</b> Bell et al. (CCS 2020) show {@code k = O(log n)} suffices; {@link
 * #neighboursFor} returns the smallest {@code k} (at least the default {@code 2⌈log2 n⌉}, with {@code n k} even) whose
 * majority threshold {@code t = ⌊(k + 1) / 2⌋ + 1} keeps the bound at or below the target. The
 * threshold stays a strict majority of each secret's holders, so the server would need a majority
 * of a client's neighbourhood to collude to learn its input.
 *
 * <p>Pure functions; thread-safe.
 */
public final class Reliability {
  private Reliability() {}

  /**
   * An upper bound on the probability that a round with these parameters is abandoned.
   *
   * @param clients n, at least 2
   * @param neighbours k, 1 to n - 1
   * @param threshold t, 2 to k + 1
   * @param dropout p, each client's independent probability of dropping out, in [0, 1)
   */
  public static double abandonProbability(int clients, int neighbours, int threshold, double dropout) {
    check(clients, neighbours, threshold, dropout);
    double s = 1 - dropout;
    double block = s * binomialBelow(neighbours, s, threshold - 1) + dropout * binomialBelow(neighbours, s, threshold);
    double tooFew = binomialBelow(clients, s, threshold);
    return Math.min(1, clients * block + tooFew);
  }

  /**
   * The smallest number of neighbours with {@code n k} even (at least the default {@code 2⌈log2 n⌉}, at most {@code
   * min(n - 1, }{@value SecAggConfig#MAX_NEIGHBOURS}{@code )}) whose majority threshold keeps {@link
   * #abandonProbability} at or below {@code target}.
   *
   * @throws InvalidRequestException with code {@code SECAGG_DROPOUT_TOO_HIGH} when no such graph
   *     exists (the complete graph included), naming the best achievable probability
   */
  public static int neighboursFor(int clients, double dropout, double target) {
    if (!(target > 0 && target < 1)) {
      throw new InvalidRequestException("SECAGG_INVALID_CONFIG", "the target abandon probability must be in (0, 1), got " + target, Map.of("target", target));
    }
    int most = Math.min(clients - 1, SecAggConfig.MAX_NEIGHBOURS);
    int start = Math.min(most, 2 * (32 - Integer.numberOfLeadingZeros(Math.max(1, clients - 1))));
    double best = 1;
    for (int k = start; k <= most; k++) {
      if ((long) clients * k % 2 != 0) continue;
      double p = abandonProbability(clients, k, majority(k), dropout);
      if (p <= target) return k;
      best = Math.min(best, p);
    }
    throw new InvalidRequestException(
        "SECAGG_DROPOUT_TOO_HIGH",
        String.format(java.util.Locale.ROOT,
            "with %d clients each dropping out with probability %.3f no graph keeps the chance of abandoning a round at or below %.2g"
                + " (the best is %.2g); lower the expected drop-out, accept more abandoned rounds, or select more clients",
            clients, dropout, target, best),
        Map.of("clients", clients, "dropout", dropout, "target", target, "best", best));
  }

  /** The default threshold for k neighbours: a strict majority of the k + 1 holders, at least 2. */
  public static int majority(int neighbours) {
    return Math.max(2, (neighbours + 1) / 2 + 1);
  }

  /** P(X < below) for X ~ Binomial(trials, success), summed in log space so large n stays exact enough. */
  static double binomialBelow(int trials, double success, int below) {
    if (below <= 0) return 0;
    if (below > trials) return 1;
    if (success >= 1) return 0;
    if (success <= 0) return 1;
    double logS = Math.log(success);
    double logF = Math.log1p(-success);
    double logChoose = 0; // log C(trials, 0)
    double sum = 0;
    for (int i = 0; i < below; i++) {
      sum += Math.exp(logChoose + i * logS + (trials - i) * logF);
      logChoose += Math.log(trials - i) - Math.log(i + 1);
    }
    return Math.min(1, sum);
  }

  private static void check(int clients, int neighbours, int threshold, double dropout) {
    if (clients < 2 || neighbours < 1 || neighbours > clients - 1 || threshold < 2 || threshold > neighbours + 1) {
      throw new InvalidRequestException(
          "SECAGG_INVALID_CONFIG",
          "need n >= 2, 1 <= k <= n - 1 and 2 <= t <= k + 1; got n " + clients + ", k " + neighbours + ", t " + threshold,
          Map.of("clients", clients, "neighbours", neighbours, "threshold", threshold));
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new InvalidRequestException("SECAGG_INVALID_CONFIG", "the drop-out probability must be in [0, 1), got " + dropout, Map.of("dropout", dropout));
    }
  }
}
