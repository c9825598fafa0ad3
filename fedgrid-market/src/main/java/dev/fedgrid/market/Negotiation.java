package dev.fedgrid.market;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The chain of proposals between one offer and one demand: each side counters the other's latest
 * proposal in turn (the provider changes the offer, the requestor the demand), every proposal must
 * match, and only the latest can become an agreement. The whole chain is kept.
 *
 * <p>Thread-safe: every method holds the negotiation's lock.
 */
public final class Negotiation {
  private final InstantSource clock;
  private final List<Proposal> chain = new ArrayList<>();
  private boolean closed;

  private Negotiation(InstantSource clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Opens a negotiation with a first proposal of {@code offer} and {@code demand} by {@code issuer}.
   *
   * @throws InvalidRequestException {@code TERMS_MISMATCH} listing the reasons when they do not match
   */
  public static Negotiation open(Offer offer, Demand demand, Party issuer, InstantSource clock) {
    if (issuer == Party.SYSTEM) throw new IllegalArgumentException("proposals come from the requestor or the provider");
    Negotiation n = new Negotiation(clock);
    n.chain.add(n.propose(null, issuer, offer, demand));
    return n;
  }

  /**
   * A negotiation rebuilt from its stored chain, for stores that keep negotiations elsewhere (the
   * gateway's database); {@code closed} when its latest proposal already became an agreement.
   */
  public static Negotiation restore(List<Proposal> chain, boolean closed, InstantSource clock) {
    if (chain.isEmpty()) throw new IllegalArgumentException("a negotiation has at least one proposal");
    Negotiation n = new Negotiation(clock);
    n.chain.addAll(chain);
    n.closed = closed;
    return n;
  }

  /** The provider counters the latest proposal with changed offer terms. */
  public synchronized Proposal counterOffer(ProposalId basedOn, Offer offer) {
    Proposal latest = checkTurn(basedOn, Party.PROVIDER);
    if (!offer.providerNodeId().equals(latest.offer().providerNodeId())) {
      throw new InvalidRequestException("TERMS_MISMATCH", "a counter-offer must come from provider " + latest.offer().providerNodeId());
    }
    Proposal p = propose(basedOn, Party.PROVIDER, offer, latest.demand());
    chain.add(p);
    return p;
  }

  /** The requestor counters the latest proposal with changed demand terms. */
  public synchronized Proposal counterDemand(ProposalId basedOn, Demand demand) {
    Proposal latest = checkTurn(basedOn, Party.REQUESTOR);
    if (!demand.jobId().equals(latest.demand().jobId())) {
      throw new InvalidRequestException("TERMS_MISMATCH", "a counter-demand must be for job " + latest.demand().jobId());
    }
    Proposal p = propose(basedOn, Party.REQUESTOR, latest.offer(), demand);
    chain.add(p);
    return p;
  }

  /** The latest proposal. */
  public synchronized Proposal latest() {
    return chain.getLast();
  }

  /** Every proposal, first to latest. */
  public synchronized List<Proposal> chain() {
    return List.copyOf(chain);
  }

  /**
   * Closes the negotiation by taking {@code proposalId}, which must be the latest, as the terms of
   * an agreement. Only the requestor takes a proposal (see {@link Agreements#create}).
   */
  synchronized Proposal take(ProposalId proposalId) {
    Proposal latest = checkOpenAndLatest(proposalId);
    closed = true;
    return latest;
  }

  private Proposal checkTurn(ProposalId basedOn, Party by) {
    Proposal latest = checkOpenAndLatest(basedOn);
    if (latest.issuer() == by) {
      throw new ConflictException(
          "PROPOSAL_CONFLICT",
          "proposal " + basedOn + " is the " + by + "'s own: wait for the other side to counter it",
          Map.of("proposal", basedOn.value()));
    }
    return latest;
  }

  private Proposal checkOpenAndLatest(ProposalId id) {
    if (closed) {
      throw new ConflictException("PROPOSAL_CONFLICT", "the negotiation already became an agreement: start a new one", Map.of("proposal", id.value()));
    }
    Proposal latest = chain.getLast();
    if (!latest.id().equals(id)) {
      throw new ConflictException(
          "PROPOSAL_CONFLICT",
          "proposal " + id + " is not the latest of its negotiation; the latest is " + latest.id(),
          Map.of("proposal", id.value(), "latest", latest.id().value()));
    }
    return latest;
  }

  private Proposal propose(ProposalId previous, Party issuer, Offer offer, Demand demand) {
    return switch (Match.of(offer, demand)) {
      case Match.Matched m -> new Proposal(ProposalId.random(), previous, issuer, offer, demand, m.estimate(), clock.instant());
      case Match.Mismatch m -> throw new InvalidRequestException(
          "TERMS_MISMATCH", "the offer and the demand do not match: " + String.join("; ", m.reasons()), Map.of("reasons", m.reasons()));
    };
  }
}
