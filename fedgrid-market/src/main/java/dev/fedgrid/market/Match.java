package dev.fedgrid.market;

import java.util.ArrayList;
import java.util.List;

/**
 * The outcome of matching an offer with a demand: a match with the estimated cost, or a mismatch
 * with every reason. A mismatch is data, not an error.
 */
public sealed interface Match {
  /** Both sides' constraints hold, the price is within the maximum and the estimate within budget. */
  record Matched(Money estimate) implements Match {}

  /** Why the offer and the demand do not match, one line per reason. */
  record Mismatch(List<String> reasons) implements Match {
    public Mismatch {
      reasons = List.copyOf(reasons);
    }
  }

  /** Whether this is a {@link Matched}. */
  default boolean matched() {
    return this instanceof Matched;
  }

  /**
   * Matches two-sidedly as Golem does: the demand's constraints must hold against the offer's
   * properties and the offer's constraints against the demand's; then the offer's price must be
   * within the demand's {@code maxPrice} part by part, and its price of the expected usage within
   * the budget.
   */
  static Match of(Offer offer, Demand demand) {
    List<String> reasons = new ArrayList<>();
    if (!demand.constraints().test(offer.properties())) {
      reasons.add("the offer's properties do not meet the demand's constraints " + demand.constraints());
    }
    if (!offer.constraints().test(demand.properties())) {
      reasons.add("the demand's properties do not meet the offer's constraints " + offer.constraints());
    }
    reasons.addAll(offer.pricing().excessOver(demand.maxPrice()));
    Money estimate = offer.pricing().price(demand.expectedUsage());
    if (estimate.compareTo(demand.budget()) > 0) {
      reasons.add("the estimated price " + estimate + " exceeds the budget " + demand.budget());
    }
    return reasons.isEmpty() ? new Matched(estimate) : new Mismatch(reasons);
  }
}
