package dev.fedgrid.api.governance;

import dev.fedgrid.api.DatasetId;
import java.time.Instant;
import java.util.Objects;

/**
 * A user's privacy budget on one dataset and how much of it is used. Epsilons compose by sum
 * across jobs (basic composition); see docs/privacy.md.
 *
 * @param user the user's login name
 * @param dataset the dataset
 * @param epsilon the total epsilon the user may spend on the dataset; 0 when no budget was set
 * @param delta the largest delta a job of this user on this dataset may run at; 0 when no budget was
 *     set
 * @param spent the epsilon spent by completed rounds of the user's jobs on the dataset, finished or
 *     still running
 * @param reserved the epsilon queued and running jobs have yet to spend (planned minus spent)
 * @param remaining {@code epsilon - spent - reserved}, what a new job may still plan to spend; may
 *     be negative when the budget was lowered below what is already used
 * @param updatedAt when the budget was last set or raised; {@code null} when it never was
 * @param updatedBy who last set or raised it; {@code null} when nobody did
 */
public record PrivacyBudget(
    String user, DatasetId dataset, double epsilon, double delta, double spent, double reserved, double remaining, Instant updatedAt, String updatedBy) {
  public PrivacyBudget {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(dataset, "dataset");
  }
}
