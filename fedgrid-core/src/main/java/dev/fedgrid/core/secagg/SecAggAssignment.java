package dev.fedgrid.core.secagg;

import java.util.Objects;

/**
 * What a fit task under secure aggregation tells its node beyond the usual: the round's stage-0
 * {@link SecAggMessage.Setup}, and how to prepare the input.
 *
 * @param setup the node's setup: session, configuration, round-local number and neighbours
 * @param clipNorm 0 to send the difference weighted by the node's examples (FedAvg and the others
 *     that need the weighted mean), or the L2 norm {@code C > 0} to clip the difference to and send
 *     it with weight 1 (central DP-FedAvg)
 * @param stageTimeoutSeconds the deadline of stages 2 to 4, from each stage's start
 */
public record SecAggAssignment(SecAggMessage.Setup setup, double clipNorm, int stageTimeoutSeconds) {
  public SecAggAssignment {
    Objects.requireNonNull(setup, "setup");
    if (!(clipNorm >= 0) || !Double.isFinite(clipNorm)) throw new IllegalArgumentException("clipNorm must be 0 or finite and positive, got " + clipNorm);
    if (stageTimeoutSeconds < 1) throw new IllegalArgumentException("stageTimeoutSeconds must be at least 1, got " + stageTimeoutSeconds);
  }

  /** Whether the node clips its difference and sends it unweighted (central DP-FedAvg). */
  public boolean clipped() {
    return clipNorm > 0;
  }
}
