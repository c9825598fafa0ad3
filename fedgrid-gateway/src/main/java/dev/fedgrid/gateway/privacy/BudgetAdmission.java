package dev.fedgrid.gateway.privacy;

import dev.fedgrid.api.job.Job;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.jobs.JobAdmission;
import java.util.Objects;

/**
 * Admits a job only when its planned epsilon fits in its owner's remaining budget on every private
 * dataset it runs on, and reserves that epsilon; see {@link PrivacyBudgets#admit}.
 *
 * <p>Thread-safe.
 */
public final class BudgetAdmission implements JobAdmission {
  private final PrivacyBudgets budgets;

  public BudgetAdmission(PrivacyBudgets budgets) {
    this.budgets = Objects.requireNonNull(budgets, "budgets");
  }

  @Override
  public void admit(Principal caller, Job job) {
    budgets.admit(caller, job);
  }
}
