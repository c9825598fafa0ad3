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

  /**
   * Takes the round's securely aggregated input instead of individual updates: once, before {@link
   * #finish}, and only in a round that has accepted no successful update. Failures may still be
   * accepted (nodes that dropped out). Only strategies whose {@link Strategy#secureInput()} is
   * present support it.
   *
   * @throws dev.fedgrid.api.InvalidRequestException with code {@code SECURE_AGGREGATION_UNSUPPORTED}
   *     (the default) when the strategy needs individual updates, or when the sum has the wrong
   *     length or non-finite values; the aggregation is unchanged
   * @throws dev.fedgrid.api.ConflictException when the round already has an update or a sum
   */
  default void acceptSecureSum(SecureSum sum) {
    throw new dev.fedgrid.api.InvalidRequestException(
        "SECURE_AGGREGATION_UNSUPPORTED", "this strategy combines individual updates and cannot aggregate a securely summed input");
  }

  /** Number of successful updates accepted so far (with a secure sum: its contributors). */
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
