package dev.fedgrid.market;

import java.util.Objects;

/**
 * What a job publishes: its properties, the constraints an offer's properties must meet, the most
 * it pays per price part, its budget and the usage it expects (to estimate an offer's cost).
 * Immutable.
 *
 * @param jobId the job that demands, as its wire id
 * @param maxPrice the largest fixed part and coefficient per counter the job accepts
 * @param budget the most the job pays one provider for {@code expectedUsage}
 * @param expectedUsage the usage the job expects of one provider
 */
public record Demand(
    String jobId, Properties properties, Constraint constraints, PriceModel maxPrice, Money budget, Usage expectedUsage) {
  public Demand {
    Offer.requireId(jobId, "jobId");
    Objects.requireNonNull(properties, "properties");
    Objects.requireNonNull(constraints, "constraints");
    Objects.requireNonNull(maxPrice, "maxPrice");
    Objects.requireNonNull(budget, "budget");
    Objects.requireNonNull(expectedUsage, "expectedUsage");
  }
}
