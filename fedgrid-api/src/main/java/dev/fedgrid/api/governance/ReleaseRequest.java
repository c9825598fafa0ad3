package dev.fedgrid.api.governance;

import dev.fedgrid.api.JobId;
import java.time.Instant;
import java.util.Objects;

/**
 * A job owner's request to take the results of a job that touched private data out of the gateway
 * (the model, and metrics beyond the aggregate loss and accuracy).
 *
 * @param id the request's id
 * @param job the job whose results are asked for
 * @param requester who asked (the job's owner)
 * @param reason why, in the requester's words
 * @param state pending, approved or denied
 * @param createdAt when it was filed
 * @param decidedBy who approved or denied it; {@code null} while pending
 * @param decidedAt when; {@code null} while pending
 * @param comment the decider's comment; {@code null} while pending
 */
public record ReleaseRequest(
    RequestId id,
    JobId job,
    String requester,
    String reason,
    RequestState state,
    Instant createdAt,
    String decidedBy,
    Instant decidedAt,
    String comment) {
  public ReleaseRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(job, "job");
    Objects.requireNonNull(state, "state");
  }
}
