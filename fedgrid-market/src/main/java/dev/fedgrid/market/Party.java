package dev.fedgrid.market;

/** Who acts on an agreement or a payment document. */
public enum Party {
  /** The side that demands: the job's owner, who pays. */
  REQUESTOR,
  /** The side that offers: the node, which is paid. */
  PROVIDER,
  /** The market itself: expiry, delivery and settlement. */
  SYSTEM
}
