package dev.fedgrid.client;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import java.util.List;

/**
 * What is needed to use a job's model outside FedGrid: its architecture, the input shape, the
 * feature scaling applied before the first layer ({@code x' = (x - mean) / scale}) and the names
 * and shapes of its parameter tensors.
 *
 * @param jobId the job
 * @param round the round the parameters come from
 * @param spec the model's layers and loss
 * @param inputShape shape of one example's features
 * @param scaling the feature scaling the model was trained with, or {@code null} when none
 * @param layout the parameter tensors, in the order of the safetensors file's data
 */
public record ModelInfo(
    JobId jobId, int round, ModelSpec spec, List<Integer> inputShape, FeatureScaling scaling, ParameterLayout layout) {}
