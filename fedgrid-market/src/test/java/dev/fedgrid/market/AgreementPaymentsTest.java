package dev.fedgrid.market;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgreementPaymentsTest {
  static final Duration DAY = Duration.ofDays(1);
  final TestClock clock = new TestClock();
  final AgreementId agreement = AgreementId.random();
  final Allocation allocation = new Allocation("job_1", Money.of(100));
  final AgreementPayments payments = new AgreementPayments(agreement, allocation, new PaymentCaps(Money.of(40), Money.of(50)), clock);

  @Test
  void acceptingCumulativeDebitNotesSpendsOnlyTheIncrease() {
    var n1 = payments.issueDebitNote(Money.of(10), DAY).note();
    payments.receive(n1.id());
    payments.accept(n1.id(), Party.REQUESTOR);
    var n2 = payments.issueDebitNote(Money.of("25.5"), DAY).note();
    payments.accept(n2.id(), Party.REQUESTOR);
    assertThat(allocation.spent()).isEqualTo(Money.of("25.5"));
    assertThat(payments.acceptedTotal()).isEqualTo(Money.of("25.5"));
    assertThat(payments.headroom()).isEqualTo(Money.of("24.5"));
    assertThat(payments.settle(n2.id()).status()).isEqualTo(DocumentStatus.SETTLED);
  }

  @Test
  void aDebitNoteTotalNeverDecreases() {
    var n1 = payments.issueDebitNote(Money.of(10), DAY).note();
    assertThatThrownBy(() -> payments.issueDebitNote(Money.of(9), DAY))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("DEBIT_NOTE_TOTAL_DECREASED"))
        .hasMessage("debit notes carry the cumulative total: 9 is below 10 of debit note " + n1.id());
    payments.cancel(n1.id(), Party.PROVIDER); // a cancelled note no longer counts
    assertThat(payments.issueDebitNote(Money.of(9), DAY).note().amount()).isEqualTo(Money.of(9));
  }

  @Test
  void anAcceptedNoteCannotBeRejectedOrCancelled() {
    var n = payments.issueDebitNote(Money.of(10), DAY).note();
    payments.accept(n.id(), Party.REQUESTOR);
    assertThatThrownBy(() -> payments.reject(n.id(), Party.REQUESTOR, "too dear"))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("PAYMENT_DOCUMENT_STATE_CONFLICT"))
        .hasMessage("debit note " + n.id() + " is ACCEPTED: REQUESTOR cannot move it to REJECTED; an accepted document is never rejected or cancelled");
    assertThatThrownBy(() -> payments.cancel(n.id(), Party.PROVIDER))
        .hasMessage("debit note " + n.id() + " is ACCEPTED: PROVIDER cannot move it to CANCELLED; an accepted document is never rejected or cancelled");
  }

  @Test
  void onlyTheRightPartyMovesADocument() {
    var n = payments.issueDebitNote(Money.of(10), DAY).note();
    assertThatThrownBy(() -> payments.accept(n.id(), Party.PROVIDER))
        .hasMessage("debit note " + n.id() + " is ISSUED: PROVIDER cannot move it to ACCEPTED; only REQUESTOR may");
    assertThatThrownBy(() -> payments.settle(n.id()))
        .hasMessage("debit note " + n.id() + " is ISSUED: SYSTEM cannot move it to SETTLED; no transition from ISSUED to SETTLED");
    var rejected = payments.reject(n.id(), Party.REQUESTOR, "usage not seen");
    assertThat(rejected.reason()).isEqualTo("usage not seen");
    assertThatThrownBy(() -> payments.accept(n.id(), Party.REQUESTOR))
        .hasMessage("debit note " + n.id() + " is REJECTED: REQUESTOR cannot move it to ACCEPTED; no transition from REJECTED to ACCEPTED");
  }

  @Test
  void aNotePastItsDeadlineCannotBeAcceptedAndItsTotalGoesToTheNextNote() {
    var n1 = payments.issueDebitNote(Money.of(10), Duration.ofHours(1)).note();
    clock.advance(Duration.ofHours(2));
    assertThatThrownBy(() -> payments.accept(n1.id(), Party.REQUESTOR))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("DEBIT_NOTE_EXPIRED"));
    assertThat(allocation.spent()).isEqualTo(Money.ZERO);
    var n2 = payments.issueDebitNote(Money.of(15), DAY).note();
    payments.accept(n2.id(), Party.REQUESTOR);
    assertThat(allocation.spent()).isEqualTo(Money.of(15));
  }

  @Test
  void aNoteUnacceptedPastItsDeadlineIsOverdueUnlessCoveredOrInvoiced() {
    var n1 = payments.issueDebitNote(Money.of(10), Duration.ofHours(1)).note();
    clock.advance(Duration.ofHours(1));
    assertThat(payments.overdue()).isEmpty(); // at the deadline it may still be accepted
    clock.advance(Duration.ofSeconds(1));
    assertThat(payments.overdue()).contains(n1);
    payments.receive(n1.id());
    assertThat(payments.overdue()).map(PaymentDocument::status).contains(DocumentStatus.RECEIVED);

    var n2 = payments.issueDebitNote(Money.of(12), DAY).note();
    assertThat(payments.overdue()).map(PaymentDocument::id).contains(n1.id()); // a later note alone does not cover it
    payments.accept(n2.id(), Party.REQUESTOR);
    assertThat(payments.overdue()).isEmpty(); // accepted 12 covers the 10 of n1

    var n3 = payments.issueDebitNote(Money.of(20), Duration.ofMinutes(1)).note();
    clock.advance(Duration.ofMinutes(2));
    assertThat(payments.overdue()).map(PaymentDocument::id).contains(n3.id());
    payments.issueInvoice(Money.of(20), "usage after the last accepted note");
    assertThat(payments.overdue()).isEmpty(); // the invoice claims it
  }

  @Test
  void aRejectedOrCancelledNoteIsNeverOverdue() {
    var n1 = payments.issueDebitNote(Money.of(10), Duration.ofMinutes(1)).note();
    var n2 = payments.issueDebitNote(Money.of(11), Duration.ofMinutes(1)).note();
    payments.reject(n1.id(), Party.REQUESTOR, "usage not seen");
    payments.cancel(n2.id(), Party.PROVIDER);
    clock.advance(Duration.ofMinutes(5));
    assertThat(payments.overdue()).isEmpty();
  }

  @Test
  void softCapWarnsAndHardCapRefusesBeforeExceeding() {
    assertThat(payments.issueDebitNote(Money.of(40), DAY).warning()).isEmpty();
    assertThat(payments.issueDebitNote(Money.of(45), DAY).warning())
        .contains("agreement " + agreement + " passed its soft cap: 45 due, soft cap 40, hard cap 50");
    assertThat(payments.issueDebitNote(Money.of(50), DAY).warning()).isPresent();
    assertThatThrownBy(() -> payments.issueDebitNote(Money.of("50.000000000000000001"), DAY))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("PAYMENT_HARD_CAP"))
        .hasMessage("debit note of 50.000000000000000001 would pass the hard cap 50 of agreement " + agreement + ": stop the activity at the cap");
    assertThatThrownBy(() -> new PaymentCaps(Money.of(2), Money.of(1))).hasMessageStartingWith("the soft cap 2 is above the hard cap 1");
  }

  @Test
  void invoiceEqualsTheAcceptedTotalOrIsJustified() {
    var n = payments.issueDebitNote(Money.of(20), DAY).note();
    payments.accept(n.id(), Party.REQUESTOR);
    assertThatThrownBy(() -> payments.issueInvoice(Money.of(19), ""))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_INVOICE_AMOUNT"))
        .hasMessage("invoice of 19 is below the 20 already accepted in debit notes of agreement " + agreement);
    assertThatThrownBy(() -> payments.issueInvoice(Money.of(22), " "))
        .hasMessage("invoice of 22 differs from the accepted total 20 of agreement " + agreement + ": say why in its justification");
    var invoice = payments.issueInvoice(Money.of(22), "last round after the final debit note");
    assertThat(invoice.justification()).isEqualTo("last round after the final debit note");
    assertThatThrownBy(() -> payments.issueDebitNote(Money.of(30), DAY)).hasMessageContaining("is invoiced already");
    payments.accept(invoice.id(), Party.REQUESTOR);
    assertThat(allocation.spent()).isEqualTo(Money.of(22));
    payments.fail(invoice.id(), "platform unavailable");
    assertThat(payments.settle(invoice.id()).status()).isEqualTo(DocumentStatus.SETTLED);
  }

  @Test
  void anInvoiceEqualToTheAcceptedTotalNeedsNoJustification() {
    var n = payments.issueDebitNote(Money.of(20), DAY).note();
    payments.accept(n.id(), Party.REQUESTOR);
    assertThat(payments.issueInvoice(Money.of(20), null).justification()).isEmpty();
  }

  @Test
  void acceptanceBeyondTheAllocationChangesNothing() {
    var small = new Allocation("job_1", Money.of(5));
    var p = new AgreementPayments(agreement, small, new PaymentCaps(Money.of(40), Money.of(50)), clock);
    var n = p.issueDebitNote(Money.of(6), DAY).note();
    assertThatThrownBy(() -> p.accept(n.id(), Party.REQUESTOR))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("ALLOCATION_EXCEEDED"))
        .hasMessage("accepting " + n.id() + " needs 6 but the allocation of job job_1 has 5 left: enlarge the allocation or reject the document");
    assertThat(p.documents()).singleElement().extracting(PaymentDocument::status).isEqualTo(DocumentStatus.ISSUED);
    assertThat(small.spent()).isEqualTo(Money.ZERO);
    assertThat(p.acceptedTotal()).isEqualTo(Money.ZERO);
  }
}
