package dev.fedgrid.market;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Objects;

/**
 * What a node publishes: its properties, the constraints a demand's properties must meet, and its
 * price. Immutable.
 *
 * @param providerNodeId the node that offers, as its wire id
 */
public record Offer(String providerNodeId, Properties properties, Constraint constraints, PriceModel pricing) {
  public Offer {
    requireId(providerNodeId, "providerNodeId");
    Objects.requireNonNull(properties, "properties");
    Objects.requireNonNull(constraints, "constraints");
    Objects.requireNonNull(pricing, "pricing");
  }

  static String requireId(String id, String field) {
    if (id == null || id.isBlank()) throw new InvalidRequestException("INVALID_FIELD", field + " is missing");
    return id;
  }
}
