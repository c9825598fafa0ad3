package dev.fedgrid.market;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An agreement between a requestor and a provider on the terms of one proposal, with its state and
 * every transition it went through. Immutable: a transition yields a new value (see {@link
 * Agreements}).
 *
 * @param expiresAt when an agreement still in {@link AgreementState#PROPOSAL} or {@link
 *     AgreementState#PENDING} expires
 * @param history every transition so far, oldest first
 */
public record Agreement(
    AgreementId id, Proposal terms, AgreementState state, Instant expiresAt, List<Transition> history) {
  public Agreement {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(terms, "terms");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(expiresAt, "expiresAt");
    history = List.copyOf(history);
  }

  /**
   * One transition of an agreement.
   *
   * @param reason why, for a termination; empty otherwise
   */
  public record Transition(AgreementState from, AgreementState to, AgreementEvent event, Party actor, Instant at, String reason) {
    public Transition {
      reason = reason == null ? "" : reason;
    }
  }

  /** The reason of the termination, or empty when the agreement was not terminated. */
  public String terminationReason() {
    return state == AgreementState.TERMINATED ? history.getLast().reason() : "";
  }
}
