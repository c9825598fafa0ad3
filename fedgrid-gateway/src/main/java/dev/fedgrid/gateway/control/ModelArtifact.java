package dev.fedgrid.gateway.control;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import java.util.List;

/**
 * A job's global model after {@code round}, with what is needed to use it elsewhere: the spec, the
 * input shape and the feature scaling the model was trained with.
 */
public record ModelArtifact(
    JobId job, int round, ModelSpec spec, List<Integer> inputShape, FeatureScaling scaling, Parameters parameters) {}
