package dev.fedgrid.gateway.payments;

import dev.fedgrid.market.Money;
import java.time.Instant;
import java.util.Objects;

/**
 * One booked transfer: a debit of {@code from} and a credit of {@code to} of the same {@code amount}.
 *
 * @param id the ledger's id ({@code trf_…})
 * @param reference the caller's idempotency key
 */
public record Transfer(String id, String reference, AccountId from, AccountId to, Money amount, String memo, Instant at) {
  public Transfer {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(at, "at");
    memo = memo == null ? "" : memo;
  }

  /** Whether {@code request} asks for this same transfer (the memo aside). */
  public boolean sameAs(TransferRequest request) {
    return from.equals(request.from()) && to.equals(request.to()) && amount.equals(request.amount());
  }
}
