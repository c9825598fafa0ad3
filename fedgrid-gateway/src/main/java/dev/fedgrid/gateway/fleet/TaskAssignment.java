package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.TrainingConfig;
import java.time.Instant;

/**
 * One node's share of a round. The node fetches the starting parameters separately with the task
 * id (they are streamed in chunks), runs the task on {@code dataset}, and reports before {@code
 * deadline}.
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
    Instant deadline) {}
