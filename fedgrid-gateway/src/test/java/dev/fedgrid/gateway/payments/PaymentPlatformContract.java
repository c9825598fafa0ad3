package dev.fedgrid.gateway.payments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.market.DocumentId;
import dev.fedgrid.market.Money;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every {@link PaymentPlatform} must have: double entry, no overdraft, idempotency by
 * reference, settlement of documents once. An implementation's test extends this class and says how
 * to open a platform kept in a directory.
 */
public abstract class PaymentPlatformContract {
  protected static final AccountId ANA = AccountId.user("ana");
  protected static final AccountId NODE = AccountId.node("node_01jd3v6q9e8r4k2m7n5p0s1t2w");

  @TempDir protected Path dir;
  protected PaymentPlatform ledger;

  /** Opens the platform kept in {@code dir}; opened again after {@link #close()} it shows the same data. */
  protected abstract PaymentPlatform open(Path dir);

  /** Releases what {@link #open} holds. */
  protected abstract void close();

  @BeforeEach
  void openLedger() {
    ledger = open(dir);
  }

  @AfterEach
  void closeLedger() {
    close();
  }

  private Transfer mint(String reference, AccountId to, String amount) {
    ledger.open(AccountId.SYSTEM);
    ledger.open(to);
    return ledger.transfer(new TransferRequest(reference, AccountId.SYSTEM, to, Money.of(amount), "deposit"));
  }

  private BigDecimal balance(AccountId id) {
    return ledger.account(id).orElseThrow().balance();
  }

  @Test
  void accountsOpenOnceAtZeroAndOnlyTheSystemAccountMayGoNegative() {
    Account a = ledger.open(ANA);
    assertThat(a.balance()).isZero();
    assertThat(a.mayGoNegative()).isFalse();
    assertThat(ledger.open(ANA)).isEqualTo(a);
    assertThat(ledger.open(AccountId.SYSTEM).mayGoNegative()).isTrue();
    assertThat(ledger.accounts()).extracting(Account::id).containsExactly(AccountId.SYSTEM, ANA);
    assertThat(ledger.account(NODE)).isEmpty();
  }

  @Test
  void aTransferDebitsOneAccountAndCreditsAnotherByTheSameAmount() {
    Transfer deposit = mint("d1", ANA, "10.25");
    ledger.open(NODE);
    Transfer pay = ledger.transfer(new TransferRequest("p1", ANA, NODE, Money.of("0.000000000000000001"), "tiny"));
    assertThat(balance(AccountId.SYSTEM)).isEqualByComparingTo("-10.25");
    assertThat(balance(ANA)).isEqualByComparingTo("10.249999999999999999");
    assertThat(balance(NODE)).isEqualByComparingTo("0.000000000000000001");
    assertThat(ledger.accounts().stream().map(Account::balance).reduce(BigDecimal.ZERO, BigDecimal::add)).isZero();
    assertThat(ledger.transfers(Optional.of(ANA), 10)).containsExactly(deposit, pay);
    assertThat(ledger.transfers(Optional.of(NODE), 10)).containsExactly(pay);
    assertThat(ledger.transfers(Optional.empty(), 1)).containsExactly(deposit);
    assertThat(ledger.transfer("p1")).contains(pay);
  }

  @Test
  void anOverdraftIsRefusedAndChangesNothing() {
    mint("d1", ANA, "5");
    ledger.open(NODE);
    assertThatThrownBy(() -> ledger.transfer(new TransferRequest("p1", ANA, NODE, Money.of("5.01"), "")))
        .isInstanceOf(ConflictException.class)
        .satisfies(e -> assertThat(((FedGridException) e).code()).isEqualTo("INSUFFICIENT_FUNDS"))
        .satisfies(e -> assertThat(((FedGridException) e).details()).containsEntry("balance", "5").containsEntry("amount", "5.01"))
        .hasMessageContaining("user:ana holds 5, less than the 5.01");
    assertThat(balance(ANA)).isEqualByComparingTo("5");
    assertThat(balance(NODE)).isZero();
    assertThat(ledger.transfer("p1")).isEmpty();
    // the whole balance may go
    ledger.transfer(new TransferRequest("p2", ANA, NODE, Money.of("5"), ""));
    assertThat(balance(ANA)).isZero();
  }

  @Test
  void theSameReferenceWithTheSameContentReturnsTheFirstTransferEvenWhenTheMoneyIsGone() {
    mint("d1", ANA, "5");
    ledger.open(NODE);
    var request = new TransferRequest("p1", ANA, NODE, Money.of("5"), "first");
    Transfer first = ledger.transfer(request);
    assertThat(ledger.transfer(request)).isEqualTo(first);
    assertThat(ledger.transfer(new TransferRequest("p1", ANA, NODE, Money.of("5.000"), "another memo"))).isEqualTo(first);
    assertThat(balance(ANA)).isZero();
    assertThat(balance(NODE)).isEqualByComparingTo("5");
    assertThat(ledger.transfers(Optional.empty(), 10)).hasSize(2);
  }

  @Test
  void theSameReferenceWithOtherContentIsRefused() {
    mint("d1", ANA, "5");
    ledger.open(NODE);
    Transfer first = ledger.transfer(new TransferRequest("p1", ANA, NODE, Money.of("1"), ""));
    for (var other : List.of(
        new TransferRequest("p1", ANA, NODE, Money.of("2"), ""),
        new TransferRequest("p1", NODE, ANA, Money.of("1"), ""),
        new TransferRequest("d1", AccountId.SYSTEM, NODE, Money.of("5"), ""))) {
      assertThatThrownBy(() -> ledger.transfer(other))
          .isInstanceOf(ConflictException.class)
          .satisfies(e -> assertThat(((FedGridException) e).code()).isEqualTo("DUPLICATE_REFERENCE"));
    }
    assertThat(balance(ANA)).isEqualByComparingTo("4");
    assertThat(ledger.transfer("p1")).contains(first);
  }

  @Test
  void badTransfersAreRefusedBeforeAnythingIsRead() {
    ledger.open(ANA);
    assertThatThrownBy(() -> ledger.transfer(new TransferRequest("x", ANA, NODE, Money.of("1"), "")))
        .isInstanceOf(NotFoundException.class)
        .satisfies(e -> assertThat(((FedGridException) e).code()).isEqualTo("ACCOUNT_NOT_FOUND"));
    assertThatThrownBy(() -> new TransferRequest("x", ANA, NODE, Money.ZERO, "")).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> new TransferRequest("x", ANA, ANA, Money.of("1"), "")).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> new TransferRequest(" ", ANA, NODE, Money.of("1"), "")).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> Money.of("-1")).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> Money.of("NaN")).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> AccountId.of("bank:ana")).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void aDocumentIsSettledOnce() {
    mint("d1", ANA, "3");
    ledger.open(NODE);
    DocumentId doc = DocumentId.random();
    Transfer t = ledger.settle(doc, ANA, NODE, Money.of("2"));
    assertThat(t.reference()).isEqualTo("settle:" + doc);
    assertThat(ledger.settle(doc, ANA, NODE, Money.of("2"))).isEqualTo(t);
    assertThat(balance(NODE)).isEqualByComparingTo("2");
  }

  @Test
  void whatWasBookedSurvivesAReopen() {
    Transfer t = mint("d1", ANA, "7.5");
    close();
    ledger = open(dir);
    assertThat(balance(ANA)).isEqualByComparingTo("7.5");
    assertThat(ledger.transfer("d1")).contains(t);
  }
}
