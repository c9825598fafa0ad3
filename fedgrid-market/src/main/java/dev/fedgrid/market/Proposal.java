package dev.fedgrid.market;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One step of a negotiation: the terms (an offer and a demand that match) as one side put them.
 * Immutable.
 *
 * @param previous the proposal this one counters; null for the first
 * @param issuer who put these terms
 * @param estimate the offer's price of the demand's expected usage
 */
public record Proposal(
    ProposalId id, ProposalId previous, Party issuer, Offer offer, Demand demand, Money estimate, Instant createdAt) {
  public Proposal {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(offer, "offer");
    Objects.requireNonNull(demand, "demand");
    Objects.requireNonNull(estimate, "estimate");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  /** The proposal this one counters, if any. */
  public Optional<ProposalId> countered() {
    return Optional.ofNullable(previous);
  }
}
