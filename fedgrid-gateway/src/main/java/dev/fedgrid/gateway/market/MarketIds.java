package dev.fedgrid.gateway.market;

import dev.fedgrid.api.Ids;

/**
 * The prefixes of the gateway's market ids that the domain core does not have: offers ({@code
 * ofr_…}), demands ({@code dmd_…}) and allocations ({@code alc_…}). Agreements, proposals and
 * documents use fedgrid-market's typed ids.
 */
final class MarketIds {
  static final String OFFER = "ofr";
  static final String DEMAND = "dmd";
  static final String ALLOCATION = "alc";

  private MarketIds() {}

  static String next(String prefix) {
    return Ids.next(prefix);
  }

  /** {@code value} when it is a well-formed id of {@code prefix}; else 400 {@code INVALID_ID}. */
  static String check(String prefix, String value) {
    return Ids.check(prefix, value);
  }
}
