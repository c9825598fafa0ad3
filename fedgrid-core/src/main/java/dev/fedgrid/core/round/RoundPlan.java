package dev.fedgrid.core.round;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import java.util.List;
import java.util.Objects;

/**
 * What one round needs beyond the strategy and the global parameters.
 *
 * @param round the round number, from 1
 * @param eligible the nodes that may be drawn, in a stable order (sampling draws one uniform per
 *     node in this order); kept as given, not copied, so a simulator may pass a population whose
 *     ids are made on demand, and the caller must not change it
 * @param sampleFraction {@code q} in (0, 1], the probability that each eligible node takes part
 * @param minNodes fewest participants, and fewest fit updates, the round may run with
 * @param timeoutSeconds the deadline of each phase, counted from its start
 * @param epochs local epochs per fit task, for each node's contribution (examples x epochs)
 * @param localPrivacy the job's local DP settings that fit tasks carry, or {@code null}
 * @param secAgg secure aggregation of the fit updates, or {@code null} for updates in the clear
 */
public record RoundPlan(
    int round, List<NodeId> eligible, double sampleFraction, int minNodes, int timeoutSeconds, int epochs, DifferentialPrivacy localPrivacy, SecAggPlan secAgg) {
  public RoundPlan {
    eligible = java.util.Collections.unmodifiableList(Objects.requireNonNull(eligible, "eligible"));
    if (round < 1) throw new IllegalArgumentException("round must be at least 1, got " + round);
    if (!(sampleFraction > 0 && sampleFraction <= 1)) throw new IllegalArgumentException("sampleFraction must be in (0, 1], got " + sampleFraction);
    if (minNodes < 1 || timeoutSeconds < 1 || epochs < 1) throw new IllegalArgumentException("minNodes, timeoutSeconds and epochs must be at least 1");
    if (localPrivacy != null && localPrivacy.mode() != PrivacyMode.LOCAL) {
      throw new IllegalArgumentException("tasks carry local differential privacy only; central DP belongs to the strategy");
    }
    if (secAgg != null && minNodes < 2) throw new IllegalArgumentException("secure aggregation needs minNodes of at least 2");
  }

  /** A plan whose updates arrive in the clear. */
  public RoundPlan(int round, List<NodeId> eligible, double sampleFraction, int minNodes, int timeoutSeconds, int epochs, DifferentialPrivacy localPrivacy) {
    this(round, eligible, sampleFraction, minNodes, timeoutSeconds, epochs, localPrivacy, null);
  }

  /** The round's expected number of fit updates, {@code q N} (McMahan et al. 2018's fixed denominator). */
  public double expectedUpdates() {
    return sampleFraction * eligible.size();
  }
}
