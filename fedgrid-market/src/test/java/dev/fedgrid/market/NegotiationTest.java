package dev.fedgrid.market;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NegotiationTest {
  final TestClock clock = new TestClock();
  final Offer offer = new Offer("node_1", MatchTest.NODE, Constraint.ALWAYS,
      PriceModel.fixed(Money.of(2)).with(UsageCounter.EXAMPLES_EPOCHS, Money.of("0.001")));
  final Demand demand = new Demand("job_1", Properties.EMPTY, Constraint.parse("(fedgrid.inf.mem.gib>=4)"),
      PriceModel.fixed(Money.of(5)).with(UsageCounter.EXAMPLES_EPOCHS, Money.of("0.002")), Money.of(20),
      Usage.NONE.with(UsageCounter.EXAMPLES_EPOCHS, 1000));

  @Test
  void countersAlternateFormingAChainAndOnlyTheLatestBecomesAnAgreement() {
    Negotiation n = Negotiation.open(offer, demand, Party.REQUESTOR, clock);
    Proposal first = n.latest();
    assertThat(first.estimate()).isEqualTo(Money.of(3));

    Offer dearer = new Offer("node_1", MatchTest.NODE, Constraint.ALWAYS,
        PriceModel.fixed(Money.of(4)).with(UsageCounter.EXAMPLES_EPOCHS, Money.of("0.002")));
    Proposal second = n.counterOffer(first.id(), dearer);
    assertThatThrownBy(() -> n.counterOffer(second.id(), offer))
        .isInstanceOf(ConflictException.class)
        .hasMessage("proposal " + second.id() + " is the PROVIDER's own: wait for the other side to counter it");

    Demand richer = new Demand("job_1", Properties.EMPTY, demand.constraints(), demand.maxPrice(), Money.of(30), demand.expectedUsage());
    Proposal third = n.counterDemand(second.id(), richer);

    assertThat(n.chain()).containsExactly(first, second, third);
    assertThat(second.countered()).contains(first.id());
    assertThat(third.countered()).contains(second.id());
    assertThat(third.offer()).isEqualTo(dearer);
    assertThat(third.estimate()).isEqualTo(Money.of(6));

    Agreements agreements = new Agreements(clock);
    assertThatThrownBy(() -> agreements.create(n, second.id(), Duration.ofMinutes(5)))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("PROPOSAL_CONFLICT"))
        .hasMessage("proposal " + second.id() + " is not the latest of its negotiation; the latest is " + third.id());
    Agreement a = agreements.create(n, third.id(), Duration.ofMinutes(5));
    assertThat(a.terms()).isEqualTo(third);
    assertThat(a.state()).isEqualTo(AgreementState.PROPOSAL);
    assertThatThrownBy(() -> n.counterOffer(third.id(), offer))
        .hasMessage("the negotiation already became an agreement: start a new one");
  }

  @Test
  void aCounterThatDoesNotMatchIsRefusedAndTheChainStays() {
    Negotiation n = Negotiation.open(offer, demand, Party.PROVIDER, clock);
    Demand gpu = new Demand("job_1", Properties.EMPTY, Constraint.parse("(fedgrid.inf.gpu=true)"), demand.maxPrice(), demand.budget(), demand.expectedUsage());
    assertThatThrownBy(() -> n.counterDemand(n.latest().id(), gpu))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("TERMS_MISMATCH"))
        .hasMessage("the offer and the demand do not match: the offer's properties do not meet the demand's constraints (fedgrid.inf.gpu=true)");
    assertThat(n.chain()).hasSize(1);
  }

  @Test
  void anAgreementRunsProposalPendingApprovedTerminated() {
    Agreements agreements = new Agreements(clock);
    Negotiation n = Negotiation.open(offer, demand, Party.REQUESTOR, clock);
    AgreementId id = agreements.create(n, n.latest().id(), Duration.ofMinutes(5)).id();
    assertThat(agreements.confirm(id, Party.REQUESTOR).state()).isEqualTo(AgreementState.PENDING);
    assertThat(agreements.approve(id, Party.PROVIDER).state()).isEqualTo(AgreementState.APPROVED);
    clock.advance(Duration.ofHours(1));
    Agreement t = agreements.terminate(id, Party.REQUESTOR, "training finished");
    assertThat(t.state()).isEqualTo(AgreementState.TERMINATED);
    assertThat(t.terminationReason()).isEqualTo("training finished");
    assertThat(t.history()).extracting(Agreement.Transition::event)
        .containsExactly(AgreementEvent.CONFIRM, AgreementEvent.APPROVE, AgreementEvent.TERMINATE);
  }

  @Test
  void anUnapprovedAgreementExpiresWithTheInjectedClock() {
    Agreements agreements = new Agreements(clock);
    Negotiation n = Negotiation.open(offer, demand, Party.REQUESTOR, clock);
    Agreement a = agreements.create(n, n.latest().id(), Duration.ofMinutes(5));
    agreements.confirm(a.id(), Party.REQUESTOR);
    clock.advance(Duration.ofMinutes(4));
    assertThat(agreements.expireDue()).isEmpty();
    clock.advance(Duration.ofMinutes(1));
    assertThatThrownBy(() -> agreements.approve(a.id(), Party.PROVIDER))
        .isInstanceOf(ConflictException.class)
        .hasMessage("agreement " + a.id() + " is EXPIRED: PROVIDER cannot APPROVE it; allowed from EXPIRED: nothing, it is final");
    Agreement expired = agreements.get(a.id());
    assertThat(expired.state()).isEqualTo(AgreementState.EXPIRED);
    assertThat(expired.history().getLast()).isEqualTo(new Agreement.Transition(
        AgreementState.PENDING, AgreementState.EXPIRED, AgreementEvent.EXPIRE, Party.SYSTEM, clock.instant(), ""));
  }

  @Test
  void sweepExpiresEveryDueAgreement() {
    Agreements agreements = new Agreements(clock);
    Negotiation n1 = Negotiation.open(offer, demand, Party.REQUESTOR, clock);
    Negotiation n2 = Negotiation.open(offer, demand, Party.REQUESTOR, clock);
    Agreement a1 = agreements.create(n1, n1.latest().id(), Duration.ofMinutes(1));
    Agreement a2 = agreements.create(n2, n2.latest().id(), Duration.ofMinutes(10));
    clock.advance(Duration.ofMinutes(2));
    assertThat(agreements.expireDue()).extracting(Agreement::id).containsExactly(a1.id());
    assertThat(agreements.get(a2.id()).state()).isEqualTo(AgreementState.PROPOSAL);
  }

  @Test
  void unknownAgreement() {
    AgreementId id = AgreementId.random();
    assertThatThrownBy(() -> new Agreements(clock).get(id))
        .isInstanceOf(NotFoundException.class)
        .hasMessage("no agreement has id " + id);
  }
}
