package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.strategy.SecureInput;
import dev.fedgrid.core.round.SecAggPlan;
import dev.fedgrid.core.strategy.Strategies;
import java.util.Map;

/**
 * A job's secure aggregation on the gateway: the round plan's {@link SecAggPlan} from the catalogue
 * (a node's weight is its number of examples, so the largest weight is the largest catalogued
 * training row count of the job's datasets), and the submission-time check that the job's nodes can
 * run the protocol at all.
 */
final class JobSecAgg {
  private JobSecAgg() {}

  /** The plan of each round, or {@code null} for a job without secure aggregation. */
  static SecAggPlan plan(JobSpec spec, JobPlan plan) {
    if (spec.secureAggregation() == null) return null;
    long maxWeight = plan.byNode().values().stream().mapToLong(d -> d.metadata().trainRows()).max().orElse(1);
    return new SecAggPlan(spec.secureAggregation(), Math.max(1, maxWeight));
  }

  /**
   * Refuses a job whose nodes cannot run SecAgg+: fewer than 2 nodes, more neighbours than the
   * nodes allow, or sums that would overflow the largest modulus with all of them.
   *
   * @throws InvalidRequestException with code {@code SECURE_AGGREGATION_IMPOSSIBLE} or as {@link
   *     dev.fedgrid.core.secagg.SecAggConfig}
   */
  static void check(JobSpec spec, JobPlan plan) {
    SecAggPlan secAgg = plan(spec, plan);
    if (secAgg == null) return;
    int nodes = plan.byNode().size();
    Integer k = spec.secureAggregation().neighbours();
    if (nodes < 2 || (k != null && k > nodes - 1)) {
      throw new InvalidRequestException(
          "SECURE_AGGREGATION_IMPOSSIBLE",
          "secure aggregation with " + (k == null ? "" : k + " neighbours per node ") + "needs at least " + (k == null ? 2 : k + 1) + " nodes holding "
              + plan.datasetNames() + ", but " + nodes + " do; register the datasets on more nodes" + (k == null ? "" : " or lower --neighbours"),
          Map.of("nodes", nodes));
    }
    int length = spec.model().parameterLayout(plan.inputShape()).size();
    SecureInput input = Strategies.create(spec.strategy(), spec.privacy(), spec.model().parameterLayout(plan.inputShape())).secureInput()
        .orElseThrow(() -> new InvalidRequestException("SECURE_AGGREGATION_UNSUPPORTED_STRATEGY", spec.strategy().name() + " cannot run under secure aggregation"));
    secAgg.config(nodes, length, input); // throws SECAGG_OVERFLOW_RISK or SECAGG_INVALID_CONFIG
  }
}
