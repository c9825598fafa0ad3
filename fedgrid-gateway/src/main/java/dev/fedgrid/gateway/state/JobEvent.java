package dev.fedgrid.gateway.state;

import dev.fedgrid.api.JobId;
import java.time.Instant;

/**
 * One entry of a job's event log, such as {@code state} changes, {@code round} completions or
 * {@code node_failed}. {@code seq} increases by one per job, starting at 1.
 */
public record JobEvent(JobId jobId, long seq, String type, String message, Instant at) {}
