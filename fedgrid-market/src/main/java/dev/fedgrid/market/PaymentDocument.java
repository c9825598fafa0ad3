package dev.fedgrid.market;

import java.time.Instant;
import java.util.Objects;

/**
 * A provider's request for payment under one agreement: a {@link DebitNote} while work runs, an
 * {@link Invoice} at the end. Immutable: a status change yields a new value (see {@link
 * AgreementPayments}).
 */
public sealed interface PaymentDocument {
  DocumentId id();

  AgreementId agreement();

  /** The amount due: for a debit note the cumulative total so far, for an invoice the whole. */
  Money amount();

  DocumentStatus status();

  Instant issuedAt();

  /** Why it was rejected or failed; empty otherwise. */
  String reason();

  /** This document with another status and reason. */
  PaymentDocument with(DocumentStatus status, String reason);

  /**
   * A debit note: the cumulative total due so far under an agreement, to be accepted before its
   * deadline. Totals never decrease from one note of an agreement to the next.
   */
  record DebitNote(
      DocumentId id, AgreementId agreement, Money amount, Instant issuedAt, Instant acceptanceDeadline, DocumentStatus status, String reason)
      implements PaymentDocument {
    public DebitNote {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(agreement, "agreement");
      Objects.requireNonNull(amount, "amount");
      Objects.requireNonNull(acceptanceDeadline, "acceptanceDeadline");
      Objects.requireNonNull(status, "status");
      reason = reason == null ? "" : reason;
    }

    @Override
    public DebitNote with(DocumentStatus status, String reason) {
      return new DebitNote(id, agreement, amount, issuedAt, acceptanceDeadline, status, reason);
    }
  }

  /**
   * An invoice: the whole amount due under an agreement.
   *
   * @param justification why the amount differs from the last accepted debit note's total; empty
   *     when it equals it
   */
  record Invoice(
      DocumentId id, AgreementId agreement, Money amount, String justification, Instant issuedAt, DocumentStatus status, String reason)
      implements PaymentDocument {
    public Invoice {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(agreement, "agreement");
      Objects.requireNonNull(amount, "amount");
      Objects.requireNonNull(status, "status");
      justification = justification == null ? "" : justification;
      reason = reason == null ? "" : reason;
    }

    @Override
    public Invoice with(DocumentStatus status, String reason) {
      return new Invoice(id, agreement, amount, justification, issuedAt, status, reason);
    }
  }
}
