package dev.fedgrid.market;

/** Where an agreement stands; the transitions are in {@code docs/market.md}. */
public enum AgreementState {
  /** Created from the latest proposal by the requestor, not yet confirmed. */
  PROPOSAL,
  /** Confirmed by the requestor, waiting for the provider's approval. */
  PENDING,
  /** Approved by the provider: work may run under it. */
  APPROVED,
  /** Refused by the provider. Final. */
  REJECTED,
  /** Withdrawn by the requestor before approval. Final. */
  CANCELLED,
  /** Not approved before its expiry. Final. */
  EXPIRED,
  /** Ended by either side after approval, with a reason. Final. */
  TERMINATED;

  /** Whether the agreement is still waiting for a decision and so can expire. */
  public boolean isOpen() {
    return this == PROPOSAL || this == PENDING;
  }

  /** Whether no transition leaves this state. */
  public boolean isFinal() {
    return this != PROPOSAL && this != PENDING && this != APPROVED;
  }
}
