package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.SealedArtifact;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import dev.fedgrid.core.secagg.SecAggAssignment;
import java.time.Instant;

/**
 * One node's share of a round. The node fetches the starting parameters separately with the task
 * id (they are streamed in chunks), runs the task on {@code dataset}, and reports before {@code
 * deadline}. A fit task of a job with local differential privacy carries {@code localPrivacy}: the
 * node clips and noises its update before it sends it.
 *
 * @param localPrivacy the job's local DP settings, or {@code null} for none; always {@code null}
 *     for evaluate tasks and for central DP, which the gateway applies itself
 * @param confidential a confidential job's sealed model, forwarded as the requestor sealed it
 *     ({@code model} is then its outline), or {@code null}
 * @param secAgg for a fit task under secure aggregation, the node's SecAgg+ setup; {@code null}
 *     otherwise
 */
public record TaskAssignment(
    TaskId id,
    JobId job,
    int round,
    TaskKind kind,
    DatasetId dataset,
    ModelSpec model,
    TrainingConfig training,
    double proximalMu,
    FeatureScaling scaling,
    ParameterLayout layout,
    Instant deadline,
    DifferentialPrivacy localPrivacy,
    SealedArtifact confidential,
    SecAggAssignment secAgg) {
  public TaskAssignment {
    if (localPrivacy != null && localPrivacy.mode() != PrivacyMode.LOCAL) {
      throw new IllegalArgumentException("a task carries local differential privacy only; central DP is applied by the gateway");
    }
  }

  /** A task of a job whose model is not confidential, without secure aggregation. */
  public TaskAssignment(
      TaskId id,
      JobId job,
      int round,
      TaskKind kind,
      DatasetId dataset,
      ModelSpec model,
      TrainingConfig training,
      double proximalMu,
      FeatureScaling scaling,
      ParameterLayout layout,
      Instant deadline,
      DifferentialPrivacy localPrivacy) {
    this(id, job, round, kind, dataset, model, training, proximalMu, scaling, layout, deadline, localPrivacy, null, null);
  }

  /** A task without local differential privacy. */
  public TaskAssignment(
      TaskId id,
      JobId job,
      int round,
      TaskKind kind,
      DatasetId dataset,
      ModelSpec model,
      TrainingConfig training,
      double proximalMu,
      FeatureScaling scaling,
      ParameterLayout layout,
      Instant deadline) {
    this(id, job, round, kind, dataset, model, training, proximalMu, scaling, layout, deadline, null, null, null);
  }
}
