package dev.fedgrid.api.governance;

import dev.fedgrid.api.DatasetId;
import java.time.Instant;
import java.util.Objects;

/**
 * A user's request for more epsilon on one dataset. Approving it raises the user's budget by {@code
 * epsilon} in the same transaction.
 *
 * @param id the request's id
 * @param user who asked (login name)
 * @param dataset the dataset
 * @param epsilon the additional epsilon asked for, greater than 0
 * @param reason why, in the requester's words
 * @param state pending, approved or denied
 * @param createdAt when it was filed
 * @param decidedBy who approved or denied it; {@code null} while pending
 * @param decidedAt when; {@code null} while pending
 * @param comment the decider's comment; {@code null} while pending
 */
public record BudgetRequest(
    RequestId id,
    String user,
    DatasetId dataset,
    double epsilon,
    String reason,
    RequestState state,
    Instant createdAt,
    String decidedBy,
    Instant decidedAt,
    String comment) {
  public BudgetRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
  }
}
