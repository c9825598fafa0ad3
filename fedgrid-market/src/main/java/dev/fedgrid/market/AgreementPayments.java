package dev.fedgrid.market;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The payment documents of one agreement and the rules between them.
 *
 * <ul>
 *   <li>Debit notes carry the cumulative total due; a note's total is never below the total of the
 *       agreement's last note that was not rejected or cancelled.
 *   <li>Accepting a document spends, from the job's {@link Allocation}, the part of its amount not
 *       yet accepted: {@code amount − accepted total so far}. If the allocation does not hold that
 *       much, nothing changes and the acceptance is refused.
 *   <li>A debit note past its acceptance deadline cannot be accepted; its amount stays due and is
 *       claimed by the next note or the invoice. A note left unaccepted past its deadline, and not
 *       covered by a later acceptance, makes the agreement {@link #overdue() overdue}: the provider
 *       stops working under it (the gateway terminates the agreement).
 *   <li>The invoice's amount equals the total of the last accepted debit note, or is higher and
 *       carries a justification (usage after the last note); never lower, since accepted notes are
 *       commitments. One invoice per agreement, after which no debit note is issued.
 *   <li>No document exceeds the hard cap; a debit note above the soft cap comes with a warning.
 * </ul>
 *
 * <p>Thread-safe: every method holds this object's lock; the allocation, shared between the
 * agreements of a job, is thread-safe on its own.
 */
public final class AgreementPayments {
  private final AgreementId agreement;
  private final Allocation allocation;
  private final PaymentCaps caps;
  private final InstantSource clock;
  private final Map<DocumentId, PaymentDocument> documents = new LinkedHashMap<>();
  private Money acceptedTotal = Money.ZERO;

  public AgreementPayments(AgreementId agreement, Allocation allocation, PaymentCaps caps, InstantSource clock) {
    this.agreement = Objects.requireNonNull(agreement, "agreement");
    this.allocation = Objects.requireNonNull(allocation, "allocation");
    this.caps = Objects.requireNonNull(caps, "caps");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * The payments of an agreement rebuilt from its stored documents (in the order issued), for stores
   * that keep them elsewhere (the gateway's database). The accepted total is the largest amount of a
   * document that was accepted (and then perhaps settled or failed).
   */
  public static AgreementPayments restore(
      AgreementId agreement, Allocation allocation, PaymentCaps caps, InstantSource clock, List<PaymentDocument> documents) {
    AgreementPayments p = new AgreementPayments(agreement, allocation, caps, clock);
    for (PaymentDocument d : documents) {
      if (!d.agreement().equals(agreement)) throw new IllegalArgumentException(d.id() + " belongs to " + d.agreement() + ", not " + agreement);
      p.documents.put(d.id(), d);
      boolean accepted = d.status() == DocumentStatus.ACCEPTED || d.status() == DocumentStatus.SETTLED || d.status() == DocumentStatus.FAILED;
      if (accepted && d.amount().compareTo(p.acceptedTotal) > 0) p.acceptedTotal = d.amount();
    }
    return p;
  }

  /**
   * A debit note just issued, with a warning when its total passes the soft cap.
   *
   * @param warning empty when the total is within the soft cap
   */
  public record Issued(PaymentDocument.DebitNote note, Optional<String> warning) {}

  /**
   * The provider issues a debit note for the cumulative {@code totalDue}.
   *
   * @throws InvalidRequestException {@code DEBIT_NOTE_TOTAL_DECREASED} when below the last note
   * @throws ConflictException {@code PAYMENT_HARD_CAP} above the hard cap; {@code
   *     PAYMENT_DOCUMENT_STATE_CONFLICT} once an invoice is issued
   */
  public synchronized Issued issueDebitNote(Money totalDue, Duration acceptWithin) {
    if (acceptWithin.isNegative() || acceptWithin.isZero()) {
      throw new InvalidRequestException("INVALID_FIELD", "a debit note needs a positive acceptance period, got " + acceptWithin, Map.of("field", "acceptWithin"));
    }
    if (live(PaymentDocument.Invoice.class).isPresent()) {
      throw new ConflictException("PAYMENT_DOCUMENT_STATE_CONFLICT", "agreement " + agreement + " is invoiced already: no more debit notes", Map.of("agreement", agreement.value()));
    }
    Optional<PaymentDocument> last = live(PaymentDocument.DebitNote.class);
    if (last.isPresent() && totalDue.compareTo(last.get().amount()) < 0) {
      throw new InvalidRequestException(
          "DEBIT_NOTE_TOTAL_DECREASED",
          "debit notes carry the cumulative total: " + totalDue + " is below " + last.get().amount() + " of debit note " + last.get().id(),
          Map.of("agreement", agreement.value(), "previous", last.get().id().value()));
    }
    checkHardCap(totalDue, "debit note");
    Instant now = clock.instant();
    var note = new PaymentDocument.DebitNote(DocumentId.random(), agreement, totalDue, now, now.plus(acceptWithin), DocumentStatus.ISSUED, "");
    documents.put(note.id(), note);
    Optional<String> warning = totalDue.compareTo(caps.soft()) > 0
        ? Optional.of("agreement " + agreement + " passed its soft cap: " + totalDue + " due, soft cap " + caps.soft() + ", hard cap " + caps.hard())
        : Optional.empty();
    return new Issued(note, warning);
  }

  /**
   * The provider issues the invoice.
   *
   * @param justification required when {@code amount} differs from the accepted total
   * @throws InvalidRequestException {@code INVALID_INVOICE_AMOUNT} when below the accepted total, or
   *     above it without a justification
   */
  public synchronized PaymentDocument.Invoice issueInvoice(Money amount, String justification) {
    if (live(PaymentDocument.Invoice.class).isPresent()) {
      throw new ConflictException("PAYMENT_DOCUMENT_STATE_CONFLICT", "agreement " + agreement + " is invoiced already", Map.of("agreement", agreement.value()));
    }
    int cmp = amount.compareTo(acceptedTotal);
    if (cmp < 0) {
      throw new InvalidRequestException(
          "INVALID_INVOICE_AMOUNT",
          "invoice of " + amount + " is below the " + acceptedTotal + " already accepted in debit notes of agreement " + agreement,
          Map.of("agreement", agreement.value()));
    }
    boolean unjustified = justification == null || justification.isBlank();
    if (cmp > 0 && unjustified) {
      throw new InvalidRequestException(
          "INVALID_INVOICE_AMOUNT",
          "invoice of " + amount + " differs from the accepted total " + acceptedTotal + " of agreement " + agreement + ": say why in its justification",
          Map.of("agreement", agreement.value(), "field", "justification"));
    }
    checkHardCap(amount, "invoice");
    var invoice = new PaymentDocument.Invoice(
        DocumentId.random(), agreement, amount, cmp == 0 ? "" : justification.strip(), clock.instant(), DocumentStatus.ISSUED, "");
    documents.put(invoice.id(), invoice);
    return invoice;
  }

  /** The document was delivered to the requestor. */
  public synchronized PaymentDocument receive(DocumentId id) {
    return move(id, DocumentStatus.RECEIVED, Party.SYSTEM, "");
  }

  /**
   * {@code actor} accepts the document, spending its not yet accepted part from the allocation.
   *
   * @throws ConflictException {@code DEBIT_NOTE_EXPIRED} past its deadline; {@code
   *     ALLOCATION_EXCEEDED} when the allocation does not hold the amount; nothing changes then
   */
  public synchronized PaymentDocument accept(DocumentId id, Party actor) {
    PaymentDocument doc = find(id);
    DocumentTransitions.check(doc, DocumentStatus.ACCEPTED, actor);
    if (doc instanceof PaymentDocument.DebitNote note && clock.instant().isAfter(note.acceptanceDeadline())) {
      throw new ConflictException(
          "DEBIT_NOTE_EXPIRED",
          "debit note " + id + " could be accepted until " + note.acceptanceDeadline() + ": accept the agreement's later debit note or its invoice,"
              + " which claim its total",
          Map.of("document", id.value(), "acceptanceDeadline", note.acceptanceDeadline().toString()));
    }
    Money delta = doc.amount().compareTo(acceptedTotal) > 0 ? doc.amount().minus(acceptedTotal) : Money.ZERO;
    if (!allocation.trySpend(delta)) {
      throw new ConflictException(
          "ALLOCATION_EXCEEDED",
          "accepting " + id + " needs " + delta + " but the allocation of job " + allocation.jobId() + " has " + allocation.remaining()
              + " left: enlarge the allocation or reject the document",
          Map.of("document", id.value(), "job", allocation.jobId()));
    }
    if (doc.amount().compareTo(acceptedTotal) > 0) acceptedTotal = doc.amount();
    return put(doc.with(DocumentStatus.ACCEPTED, ""));
  }

  /** {@code actor} rejects the document, with a reason. */
  public synchronized PaymentDocument reject(DocumentId id, Party actor, String reason) {
    if (reason == null || reason.isBlank()) {
      throw new InvalidRequestException("INVALID_FIELD", "rejecting " + id + " needs a reason", Map.of("field", "reason"));
    }
    return move(id, DocumentStatus.REJECTED, actor, reason);
  }

  /** {@code actor} withdraws the document. */
  public synchronized PaymentDocument cancel(DocumentId id, Party actor) {
    return move(id, DocumentStatus.CANCELLED, actor, "");
  }

  /** The document's payment went through. */
  public synchronized PaymentDocument settle(DocumentId id) {
    return move(id, DocumentStatus.SETTLED, Party.SYSTEM, "");
  }

  /** The document's payment failed. */
  public synchronized PaymentDocument fail(DocumentId id, String reason) {
    return move(id, DocumentStatus.FAILED, Party.SYSTEM, reason);
  }

  /**
   * The first debit note the requestor let pass its deadline: still ISSUED or RECEIVED at a time
   * after its acceptance deadline, with a total above what was accepted since (a later note or the
   * invoice accepted covers it, since totals are cumulative), while no invoice is live (the invoice
   * then claims it). A provider stops working under an agreement with an overdue note, as a Golem
   * provider breaks an agreement whose debit notes go unaccepted past the requestor's acceptance
   * timeout; the note itself keeps its status and its total stays due in the invoice.
   */
  public synchronized Optional<PaymentDocument.DebitNote> overdue() {
    if (live(PaymentDocument.Invoice.class).isPresent()) return Optional.empty();
    Instant now = clock.instant();
    for (PaymentDocument d : documents.values()) {
      boolean open = d.status() == DocumentStatus.ISSUED || d.status() == DocumentStatus.RECEIVED;
      if (d instanceof PaymentDocument.DebitNote n && open && now.isAfter(n.acceptanceDeadline()) && n.amount().compareTo(acceptedTotal) > 0) {
        return Optional.of(n);
      }
    }
    return Optional.empty();
  }

  /** The total accepted so far. */
  public synchronized Money acceptedTotal() {
    return acceptedTotal;
  }

  /** How much more the agreement may cost before the hard cap: {@code hard − accepted total}. */
  public synchronized Money headroom() {
    return caps.hard().minus(acceptedTotal);
  }

  /** Every document, in the order issued. */
  public synchronized List<PaymentDocument> documents() {
    return List.copyOf(documents.values());
  }

  private PaymentDocument move(DocumentId id, DocumentStatus to, Party actor, String reason) {
    PaymentDocument doc = find(id);
    DocumentTransitions.check(doc, to, actor);
    return put(doc.with(to, reason));
  }

  private PaymentDocument put(PaymentDocument doc) {
    documents.put(doc.id(), doc);
    return doc;
  }

  private PaymentDocument find(DocumentId id) {
    PaymentDocument doc = documents.get(id);
    if (doc == null) {
      throw new NotFoundException("PAYMENT_DOCUMENT_NOT_FOUND", "agreement " + agreement + " has no document " + id, Map.of("document", id.value()));
    }
    return doc;
  }

  /** The latest document of a kind that is not rejected or cancelled. */
  private Optional<PaymentDocument> live(Class<? extends PaymentDocument> kind) {
    List<PaymentDocument> all = new ArrayList<>(documents.values());
    for (int i = all.size() - 1; i >= 0; i--) {
      PaymentDocument d = all.get(i);
      if (kind.isInstance(d) && d.status() != DocumentStatus.REJECTED && d.status() != DocumentStatus.CANCELLED) return Optional.of(d);
    }
    return Optional.empty();
  }

  private void checkHardCap(Money amount, String kind) {
    if (amount.compareTo(caps.hard()) > 0) {
      throw new ConflictException(
          "PAYMENT_HARD_CAP",
          kind + " of " + amount + " would pass the hard cap " + caps.hard() + " of agreement " + agreement + ": stop the activity at the cap",
          Map.of("agreement", agreement.value()));
    }
  }
}
