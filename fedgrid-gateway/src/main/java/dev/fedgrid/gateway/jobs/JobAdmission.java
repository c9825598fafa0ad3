package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.job.Job;
import dev.fedgrid.gateway.access.Principal;

/**
 * A check (and reservation) run when a job is submitted, inside the transaction that creates the
 * job: throwing refuses the job and rolls back everything, including other admissions'
 * reservations.
 *
 * <p>{@link Coordinator#submitJob} runs every admission, stores the job and appends the {@code
 * job.submitted} audit event in one {@link dev.fedgrid.gateway.state.SqlDatabase#transact}; an
 * admission writes through the same database, so its writes join that transaction. A refusal is a
 * {@link dev.fedgrid.api.FedGridException} saying why (and with what numbers); the coordinator then
 * appends {@code job.refused} in a transaction of its own.
 *
 * <p>Implementations are thread-safe.
 */
public interface JobAdmission {
  /**
   * Admits {@code job} for {@code caller}, or throws to refuse it.
   *
   * @param caller the submitting user
   * @param job the fully resolved job about to be stored ({@link Job#owner()} set)
   */
  void admit(Principal caller, Job job);
}
