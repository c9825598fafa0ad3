package dev.fedgrid.client;

import dev.fedgrid.api.JobId;
import java.nio.file.Path;

/**
 * The files {@link FedGridClient#downloadModel} wrote.
 *
 * @param jobId the job
 * @param round the round the parameters come from
 * @param weights {@code model.safetensors}: the parameters as float32 tensors, loadable with the
 *     {@code safetensors} library, with the job id, round, spec, input shape and scaling in its
 *     metadata
 * @param description {@code model.json}: the {@link ModelInfo} as JSON
 * @param sizeBytes the size of the weights file
 */
public record ModelDownload(JobId jobId, int round, Path weights, Path description, long sizeBytes) {}
