package dev.fedgrid.market;

/** Where a debit note or an invoice stands; the transitions are in {@code docs/market.md}. */
public enum DocumentStatus {
  /** Issued by the provider. */
  ISSUED,
  /** Delivered to the requestor. */
  RECEIVED,
  /** Accepted by the requestor, who is now committed to pay it; never rejected or cancelled later. */
  ACCEPTED,
  /** Refused by the requestor, with a reason. Final. */
  REJECTED,
  /** Paid. Final. */
  SETTLED,
  /** Withdrawn by the provider before acceptance. Final. */
  CANCELLED,
  /** Its payment failed; settlement may be retried. */
  FAILED
}
