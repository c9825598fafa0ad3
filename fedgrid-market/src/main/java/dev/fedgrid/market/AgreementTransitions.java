package dev.fedgrid.market;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The agreement transition table, enforced: each rule names the state it leaves, the event, the
 * parties who may cause it and the state it enters. Anything not in the table is refused with
 * {@code AGREEMENT_STATE_CONFLICT}. Stateless and thread-safe.
 */
final class AgreementTransitions {
  record Rule(AgreementState from, AgreementEvent event, Set<Party> actors, AgreementState to) {}

  static final List<Rule> RULES = List.of(
      new Rule(AgreementState.PROPOSAL, AgreementEvent.CONFIRM, Set.of(Party.REQUESTOR), AgreementState.PENDING),
      new Rule(AgreementState.PROPOSAL, AgreementEvent.CANCEL, Set.of(Party.REQUESTOR), AgreementState.CANCELLED),
      new Rule(AgreementState.PROPOSAL, AgreementEvent.EXPIRE, Set.of(Party.SYSTEM), AgreementState.EXPIRED),
      new Rule(AgreementState.PENDING, AgreementEvent.APPROVE, Set.of(Party.PROVIDER), AgreementState.APPROVED),
      new Rule(AgreementState.PENDING, AgreementEvent.REJECT, Set.of(Party.PROVIDER), AgreementState.REJECTED),
      new Rule(AgreementState.PENDING, AgreementEvent.CANCEL, Set.of(Party.REQUESTOR), AgreementState.CANCELLED),
      new Rule(AgreementState.PENDING, AgreementEvent.EXPIRE, Set.of(Party.SYSTEM), AgreementState.EXPIRED),
      new Rule(AgreementState.APPROVED, AgreementEvent.TERMINATE, Set.of(Party.REQUESTOR, Party.PROVIDER), AgreementState.TERMINATED));

  private AgreementTransitions() {}

  /**
   * The agreement after {@code event} by {@code actor} at {@code now}.
   *
   * @throws ConflictException {@code AGREEMENT_STATE_CONFLICT} when the table has no such rule, the
   *     actor may not cause it, the agreement has expired (any event but EXPIRE) or has not yet
   *     expired (EXPIRE)
   * @throws InvalidRequestException {@code INVALID_FIELD} when a termination has no reason
   */
  static Agreement apply(Agreement a, AgreementEvent event, Party actor, String reason, Instant now) {
    Rule rule = RULES.stream().filter(r -> r.from() == a.state() && r.event() == event).findFirst().orElse(null);
    if (rule == null) {
      throw conflict(a, event, actor, "allowed from " + a.state() + ": " + allowedFrom(a.state()));
    }
    if (!rule.actors().contains(actor)) {
      throw conflict(a, event, actor, "only " + names(rule.actors()) + " may " + event);
    }
    boolean due = !now.isBefore(a.expiresAt());
    if (event == AgreementEvent.EXPIRE && !due) {
      throw conflict(a, event, actor, "it expires at " + a.expiresAt());
    }
    if (event != AgreementEvent.EXPIRE && a.state().isOpen() && due) {
      throw conflict(a, event, actor, "it expired at " + a.expiresAt());
    }
    if (event == AgreementEvent.TERMINATE && (reason == null || reason.isBlank())) {
      throw new InvalidRequestException("INVALID_FIELD", "terminating agreement " + a.id() + " needs a reason", Map.of("field", "reason"));
    }
    List<Agreement.Transition> history = new ArrayList<>(a.history());
    history.add(new Agreement.Transition(a.state(), rule.to(), event, actor, now, event == AgreementEvent.TERMINATE ? reason : ""));
    return new Agreement(a.id(), a.terms(), rule.to(), a.expiresAt(), history);
  }

  /** The message of a refused transition; tests compare it exactly. */
  static ConflictException conflict(Agreement a, AgreementEvent event, Party actor, String why) {
    return new ConflictException(
        "AGREEMENT_STATE_CONFLICT",
        "agreement " + a.id() + " is " + a.state() + ": " + actor + " cannot " + event + " it; " + why,
        Map.of("agreement", a.id().value(), "state", a.state().name(), "event", event.name(), "actor", actor.name()));
  }

  private static String allowedFrom(AgreementState state) {
    String allowed = RULES.stream()
        .filter(r -> r.from() == state)
        .map(r -> r.event() + " by " + names(r.actors()))
        .collect(Collectors.joining(", "));
    return allowed.isEmpty() ? "nothing, it is final" : allowed;
  }

  private static String names(Set<Party> parties) {
    return parties.stream().sorted().map(Party::name).collect(Collectors.joining(" or "));
  }
}
