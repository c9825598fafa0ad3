package dev.fedgrid.market;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agreements of a market, in memory, with the transition table enforced and time read from an
 * injected {@link InstantSource}.
 *
 * <p>Expiry is lazy and also swept: any operation on an open agreement whose expiry has passed
 * first records its expiry (by {@link Party#SYSTEM}), so the operation then fails naming {@code
 * EXPIRED}; {@link #expireDue()} expires all such agreements at once.
 *
 * <p>Thread-safe: each agreement changes atomically ({@link ConcurrentHashMap#compute}).
 */
public final class Agreements {
  private final InstantSource clock;
  private final Map<AgreementId, Agreement> byId = new ConcurrentHashMap<>();

  public Agreements(InstantSource clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * The requestor creates an agreement in {@link AgreementState#PROPOSAL} from the latest proposal
   * of {@code negotiation}, closing it.
   *
   * @param validFor how long the provider has to approve, counted from now
   * @throws dev.fedgrid.api.ConflictException {@code PROPOSAL_CONFLICT} when the proposal is not the latest
   */
  public Agreement create(Negotiation negotiation, ProposalId proposal, Duration validFor) {
    if (validFor.isNegative() || validFor.isZero()) {
      throw new InvalidRequestException("INVALID_FIELD", "an agreement must be valid for a positive duration, got " + validFor, Map.of("field", "validFor"));
    }
    Proposal terms = negotiation.take(proposal);
    Agreement a = new Agreement(AgreementId.random(), terms, AgreementState.PROPOSAL, clock.instant().plus(validFor), List.of());
    byId.put(a.id(), a);
    return a;
  }

  /** The agreement {@code id}, expired first if its expiry has passed. */
  public Agreement get(AgreementId id) {
    return apply(id, null, null, null);
  }

  public Agreement confirm(AgreementId id, Party actor) {
    return apply(id, AgreementEvent.CONFIRM, actor, null);
  }

  public Agreement approve(AgreementId id, Party actor) {
    return apply(id, AgreementEvent.APPROVE, actor, null);
  }

  public Agreement reject(AgreementId id, Party actor) {
    return apply(id, AgreementEvent.REJECT, actor, null);
  }

  public Agreement cancel(AgreementId id, Party actor) {
    return apply(id, AgreementEvent.CANCEL, actor, null);
  }

  public Agreement terminate(AgreementId id, Party actor, String reason) {
    return apply(id, AgreementEvent.TERMINATE, actor, reason);
  }

  /** Expires every open agreement whose expiry has passed; returns them. */
  public List<Agreement> expireDue() {
    List<Agreement> expired = new ArrayList<>();
    for (AgreementId id : byId.keySet()) {
      Agreement before = byId.get(id);
      Agreement after = get(id);
      if (before.state() != after.state() && after.state() == AgreementState.EXPIRED) expired.add(after);
    }
    return expired;
  }

  /**
   * Applies {@code event} (none when null) to agreement {@code id} atomically. An expiry that is
   * due is stored first, in its own step, so it stays recorded when the event is then refused.
   */
  private Agreement apply(AgreementId id, AgreementEvent event, Party actor, String reason) {
    Agreement current = byId.computeIfPresent(id, (k, a) -> expireIfDue(a, clock.instant()));
    if (current == null) {
      throw new NotFoundException("AGREEMENT_NOT_FOUND", "no agreement has id " + id, Map.of("agreement", id.value()));
    }
    if (event == null) return current;
    return byId.computeIfPresent(id, (k, a) -> {
      Instant now = clock.instant();
      return AgreementTransitions.apply(expireIfDue(a, now), event, actor, reason, now);
    });
  }

  /**
   * The agreement after {@code event} by {@code actor} at {@code now}, by the same table, for stores
   * that keep agreements elsewhere (the gateway's database). Pure: nothing is recorded here.
   *
   * @throws dev.fedgrid.api.ConflictException {@code AGREEMENT_STATE_CONFLICT} as {@link #approve} and
   *     the others; an agreement whose expiry has passed must be expired first ({@link #expireIfDue})
   */
  public static Agreement transition(Agreement a, AgreementEvent event, Party actor, String reason, Instant now) {
    return AgreementTransitions.apply(a, event, actor, reason, now);
  }

  /** The agreement expired at {@code now} when it is open and its expiry has passed; else unchanged. */
  public static Agreement expireIfDue(Agreement a, Instant now) {
    boolean due = a.state().isOpen() && !now.isBefore(a.expiresAt());
    return due ? AgreementTransitions.apply(a, AgreementEvent.EXPIRE, Party.SYSTEM, null, now) : a;
  }
}
