package dev.fedgrid.market;

import dev.fedgrid.api.ConflictException;
import java.util.List;
import java.util.Map;

/**
 * The payment document status table, enforced: each rule names the status it leaves, the status it
 * enters and the only party who may move it. An accepted document is never rejected or cancelled.
 * Stateless and thread-safe.
 */
final class DocumentTransitions {
  record Rule(DocumentStatus from, DocumentStatus to, Party actor) {}

  static final List<Rule> RULES = List.of(
      new Rule(DocumentStatus.ISSUED, DocumentStatus.RECEIVED, Party.SYSTEM),
      new Rule(DocumentStatus.ISSUED, DocumentStatus.ACCEPTED, Party.REQUESTOR),
      new Rule(DocumentStatus.RECEIVED, DocumentStatus.ACCEPTED, Party.REQUESTOR),
      new Rule(DocumentStatus.ISSUED, DocumentStatus.REJECTED, Party.REQUESTOR),
      new Rule(DocumentStatus.RECEIVED, DocumentStatus.REJECTED, Party.REQUESTOR),
      new Rule(DocumentStatus.ISSUED, DocumentStatus.CANCELLED, Party.PROVIDER),
      new Rule(DocumentStatus.RECEIVED, DocumentStatus.CANCELLED, Party.PROVIDER),
      new Rule(DocumentStatus.ACCEPTED, DocumentStatus.SETTLED, Party.SYSTEM),
      new Rule(DocumentStatus.ACCEPTED, DocumentStatus.FAILED, Party.SYSTEM),
      new Rule(DocumentStatus.FAILED, DocumentStatus.SETTLED, Party.SYSTEM));

  private DocumentTransitions() {}

  /**
   * Checks that {@code actor} may move {@code doc} to {@code to}.
   *
   * @throws ConflictException {@code PAYMENT_DOCUMENT_STATE_CONFLICT} when not
   */
  static void check(PaymentDocument doc, DocumentStatus to, Party actor) {
    for (Rule r : RULES) {
      if (r.from() == doc.status() && r.to() == to) {
        if (r.actor() == actor) return;
        throw conflict(doc, to, actor, "only " + r.actor() + " may");
      }
    }
    String why = doc.status() == DocumentStatus.ACCEPTED && (to == DocumentStatus.REJECTED || to == DocumentStatus.CANCELLED)
        ? "an accepted document is never rejected or cancelled"
        : "no transition from " + doc.status() + " to " + to;
    throw conflict(doc, to, actor, why);
  }

  private static ConflictException conflict(PaymentDocument doc, DocumentStatus to, Party actor, String why) {
    String kind = doc instanceof PaymentDocument.DebitNote ? "debit note " : "invoice ";
    return new ConflictException(
        "PAYMENT_DOCUMENT_STATE_CONFLICT",
        kind + doc.id() + " is " + doc.status() + ": " + actor + " cannot move it to " + to + "; " + why,
        Map.of("document", doc.id().value(), "status", doc.status().name(), "to", to.name(), "actor", actor.name()));
  }
}
