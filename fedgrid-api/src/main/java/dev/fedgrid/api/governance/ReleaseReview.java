package dev.fedgrid.api.governance;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.Job;
import java.util.List;

/**
 * Everything a compliance officer needs to decide a release request: the request, the job with its
 * spec, state and final metrics, each dataset it touched with its visibility and the epsilon the
 * job spent on it, and the requester's earlier release requests and budgets.
 *
 * @param request the request under review
 * @param job the job, with its spec, state, completed rounds and latest metrics
 * @param datasets the datasets the job trained on
 * @param differentialPrivacy whether the job ran with differential privacy; without it the
 *     guarantee is none at all (epsilon unbounded)
 * @param history the requester's other release requests, newest first, with their outcomes
 * @param budgets the requester's budgets on the job's private datasets
 */
public record ReleaseReview(
    ReleaseRequest request, Job job, List<JobDataset> datasets, boolean differentialPrivacy, List<ReleaseRequest> history, List<PrivacyBudget> budgets) {
  public ReleaseReview {
    datasets = List.copyOf(datasets);
    history = List.copyOf(history);
    budgets = List.copyOf(budgets);
  }

  /**
   * One dataset of a job under review.
   *
   * @param id the dataset
   * @param name its name
   * @param node the node holding it
   * @param visibility public or private
   * @param epsilonSpent the epsilon the job spent on it; {@code null} for a job without differential
   *     privacy or a public dataset
   */
  public record JobDataset(DatasetId id, String name, NodeId node, Visibility visibility, Double epsilonSpent) {}
}
