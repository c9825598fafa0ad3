package dev.fedgrid.api.strategy;

/**
 * What a strategy can aggregate when the gateway learns only the sum of the updates (secure
 * aggregation), never an individual one. Nodes always send their difference from the global model,
 * {@code local - global}; the strategy says how those differences are to be combined before masking.
 */
public sealed interface SecureInput {
  /**
   * The mean of the differences weighted by each node's number of examples: all that FedAvg, FedProx
   * and the server-optimizer strategies (FedAvgM, FedAdagrad, FedAdam, FedYogi) need. The weight is
   * applied on the node, before masking.
   */
  record WeightedMean() implements SecureInput {}

  /**
   * The unweighted sum of the differences, each clipped on its node to L2 norm {@code clipNorm}:
   * central DP-FedAvg's input, to which the gateway adds the Gaussian noise after unmasking.
   *
   * @param clipNorm the L2 norm every node clips its difference to, greater than 0
   */
  record ClippedSum(double clipNorm) implements SecureInput {
    public ClippedSum {
      if (!(clipNorm > 0) || !Double.isFinite(clipNorm)) throw new IllegalArgumentException("clipNorm must be finite and greater than 0, got " + clipNorm);
    }
  }
}
