package dev.fedgrid.gateway.payments;

import dev.fedgrid.market.DocumentId;
import dev.fedgrid.market.Money;
import java.util.List;
import java.util.Optional;

/**
 * The port through which the market moves money: accounts, transfers idempotent by reference, and
 * the settlement of accepted payment documents. The default is {@link SqlLedger}, an internal
 * double-entry ledger in the gateway's database; every implementation passes {@code
 * PaymentPlatformContract}.
 *
 * <p>The rules every implementation keeps:
 *
 * <ul>
 *   <li><b>Double entry.</b> A transfer debits one account and credits another by the same amount,
 *       so the balances of all accounts, the system account included, sum to zero.
 *   <li><b>No overdraft.</b> No account but {@link AccountId#SYSTEM} goes below zero: a transfer that
 *       would is refused with {@code INSUFFICIENT_FUNDS} (409) and nothing changes.
 *   <li><b>Idempotent by reference.</b> The same reference with the same accounts and amount returns
 *       the transfer booked the first time, even when the balance has since fallen; with other
 *       accounts or another amount it is refused with {@code DUPLICATE_REFERENCE} (409).
 * </ul>
 *
 * <p>Implementations are thread-safe. {@link SqlLedger} joins the caller's database transaction, so
 * a transfer and the market change it pays for commit together.
 */
public interface PaymentPlatform {
  /** Opens {@code id} with a balance of zero, or returns it when open already. */
  Account open(AccountId id);

  /** The account {@code id}, if open. */
  Optional<Account> account(AccountId id);

  /** Every open account, in id order. */
  List<Account> accounts();

  /**
   * Books a transfer, or returns the one booked earlier under the same reference.
   *
   * @throws dev.fedgrid.api.NotFoundException {@code ACCOUNT_NOT_FOUND} when either account is not open
   * @throws dev.fedgrid.api.ConflictException {@code INSUFFICIENT_FUNDS} or {@code DUPLICATE_REFERENCE}
   */
  Transfer transfer(TransferRequest request);

  /** The transfer booked under {@code reference}, if any. */
  Optional<Transfer> transfer(String reference);

  /** The transfers that debit or credit {@code account} (all when empty), oldest first, at most {@code limit}. */
  List<Transfer> transfers(Optional<AccountId> account, int limit);

  /**
   * Pays {@code amount} of an accepted payment document from {@code payer} to {@code payee}, once:
   * the reference is {@code settle:<document id>}.
   */
  default Transfer settle(DocumentId document, AccountId payer, AccountId payee, Money amount) {
    return transfer(new TransferRequest("settle:" + document, payer, payee, amount, "settles " + document));
  }
}
