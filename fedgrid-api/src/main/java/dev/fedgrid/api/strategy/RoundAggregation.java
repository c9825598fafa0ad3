package dev.fedgrid.api.strategy;

import dev.fedgrid.api.model.Parameters;

/**
 * One round's aggregation in progress. Outcomes are fed one at a time as they arrive, so an
 * implementation can keep memory independent of the number of nodes (a running weighted sum)
 * rather than holding every update.
 *
 * <p>Not thread-safe: callers feed outcomes from one thread at a time.
 */
public interface RoundAggregation {
  /**
   * Takes one node's outcome. The update's parameters must have the round's layout.
   *
   * @throws dev.fedgrid.api.InvalidRequestException when a success has the wrong layout or non-finite
   *     values; the aggregation is unchanged
   */
  void accept(FitOutcome outcome);

  /** Number of successful updates accepted so far. */
  int successes();

  /** Number of failures accepted so far. */
  int failures();

  /**
   * The new global parameters.
   *
   * @throws dev.fedgrid.api.UnavailableException when no successful update was accepted
   */
  Parameters finish();
}
