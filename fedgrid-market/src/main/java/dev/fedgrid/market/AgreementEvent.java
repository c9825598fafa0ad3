package dev.fedgrid.market;

/** What can happen to an agreement. */
public enum AgreementEvent {
  CONFIRM,
  APPROVE,
  REJECT,
  CANCEL,
  EXPIRE,
  TERMINATE
}
