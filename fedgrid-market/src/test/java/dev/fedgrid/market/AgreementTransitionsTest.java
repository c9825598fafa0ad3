package dev.fedgrid.market;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AgreementTransitionsTest {
  static final Instant EXPIRY = Instant.parse("2026-01-01T01:00:00Z");
  static final Instant BEFORE = EXPIRY.minusSeconds(1);

  /** The transition table of docs/market.md, written out by hand: "STATE EVENT ACTOR" to the next state. */
  static final Map<String, AgreementState> ALLOWED = Map.of(
      "PROPOSAL CONFIRM REQUESTOR", AgreementState.PENDING,
      "PROPOSAL CANCEL REQUESTOR", AgreementState.CANCELLED,
      "PROPOSAL EXPIRE SYSTEM", AgreementState.EXPIRED,
      "PENDING APPROVE PROVIDER", AgreementState.APPROVED,
      "PENDING REJECT PROVIDER", AgreementState.REJECTED,
      "PENDING CANCEL REQUESTOR", AgreementState.CANCELLED,
      "PENDING EXPIRE SYSTEM", AgreementState.EXPIRED,
      "APPROVED TERMINATE REQUESTOR", AgreementState.TERMINATED,
      "APPROVED TERMINATE PROVIDER", AgreementState.TERMINATED);

  static final Map<AgreementState, String> ALLOWED_FROM = Map.of(
      AgreementState.PROPOSAL, "CONFIRM by REQUESTOR, CANCEL by REQUESTOR, EXPIRE by SYSTEM",
      AgreementState.PENDING, "APPROVE by PROVIDER, REJECT by PROVIDER, CANCEL by REQUESTOR, EXPIRE by SYSTEM",
      AgreementState.APPROVED, "TERMINATE by REQUESTOR or PROVIDER");

  static Agreement agreement(AgreementState state) {
    Offer offer = new Offer("node_1", Properties.EMPTY, Constraint.ALWAYS, PriceModel.FREE);
    Demand demand = new Demand("job_1", Properties.EMPTY, Constraint.ALWAYS, PriceModel.FREE, Money.ZERO, Usage.NONE);
    Proposal p = new Proposal(ProposalId.random(), null, Party.REQUESTOR, offer, demand, Money.ZERO, BEFORE);
    return new Agreement(AgreementId.random(), p, state, EXPIRY, List.of());
  }

  static Stream<Arguments> everyStateEventAndActor() {
    List<Arguments> all = new ArrayList<>();
    for (AgreementState s : AgreementState.values())
      for (AgreementEvent e : AgreementEvent.values())
        for (Party p : Party.values()) all.add(Arguments.of(s, e, p));
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1} by {2}")
  @MethodSource("everyStateEventAndActor")
  void transitionTable(AgreementState state, AgreementEvent event, Party actor) {
    Agreement a = agreement(state);
    Instant now = event == AgreementEvent.EXPIRE ? EXPIRY : BEFORE; // expiry is due exactly when it may happen
    AgreementState expected = ALLOWED.get(state + " " + event + " " + actor);
    if (expected != null) {
      Agreement after = AgreementTransitions.apply(a, event, actor, "done", now);
      assertThat(after.state()).isEqualTo(expected);
      assertThat(after.history()).containsExactly(new Agreement.Transition(
          state, expected, event, actor, now, event == AgreementEvent.TERMINATE ? "done" : ""));
      return;
    }
    boolean someoneMay = ALLOWED.keySet().stream().anyMatch(k -> k.startsWith(state + " " + event + " "));
    String why = someoneMay
        ? "only " + (event == AgreementEvent.TERMINATE ? "REQUESTOR or PROVIDER" : ALLOWED.keySet().stream()
            .filter(k -> k.startsWith(state + " " + event + " ")).findFirst().orElseThrow().split(" ")[2]) + " may " + event
        : "allowed from " + state + ": " + ALLOWED_FROM.getOrDefault(state, "nothing, it is final");
    assertThatThrownBy(() -> AgreementTransitions.apply(a, event, actor, "done", now))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("AGREEMENT_STATE_CONFLICT"))
        .hasMessage("agreement " + a.id() + " is " + state + ": " + actor + " cannot " + event + " it; " + why);
  }

  @Test
  void expiryOnlyOnceDueAndNothingElseAfterIt() {
    Agreement a = agreement(AgreementState.PENDING);
    assertThatThrownBy(() -> AgreementTransitions.apply(a, AgreementEvent.EXPIRE, Party.SYSTEM, null, BEFORE))
        .hasMessage("agreement " + a.id() + " is PENDING: SYSTEM cannot EXPIRE it; it expires at " + EXPIRY);
    assertThatThrownBy(() -> AgreementTransitions.apply(a, AgreementEvent.APPROVE, Party.PROVIDER, null, EXPIRY))
        .hasMessage("agreement " + a.id() + " is PENDING: PROVIDER cannot APPROVE it; it expired at " + EXPIRY);
  }

  @Test
  void approvedAgreementsDoNotExpire() {
    Agreement a = agreement(AgreementState.APPROVED);
    Agreement t = AgreementTransitions.apply(a, AgreementEvent.TERMINATE, Party.PROVIDER, "job done", EXPIRY.plusSeconds(99));
    assertThat(t.terminationReason()).isEqualTo("job done");
  }

  @Test
  void terminationNeedsAReason() {
    assertThatThrownBy(() -> AgreementTransitions.apply(agreement(AgreementState.APPROVED), AgreementEvent.TERMINATE, Party.REQUESTOR, " ", BEFORE))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageEndingWith("needs a reason");
  }

  @Property(tries = 300)
  void everyReachableHistoryFollowsTheTable(@ForAll("steps") List<Tuple2<AgreementEvent, Party>> steps) {
    Agreement a = agreement(AgreementState.PROPOSAL);
    for (var step : steps) {
      try {
        Instant now = step.get1() == AgreementEvent.EXPIRE ? EXPIRY : BEFORE;
        a = AgreementTransitions.apply(a, step.get1(), step.get2(), "r", now);
      } catch (ConflictException e) {
        // refused: nothing changes
      }
    }
    for (Agreement.Transition t : a.history()) {
      assertThat(ALLOWED.get(t.from() + " " + t.event() + " " + t.actor())).isEqualTo(t.to());
    }
    for (int i = 1; i < a.history().size(); i++) {
      assertThat(a.history().get(i - 1).to().isFinal()).isFalse();
    }
  }

  @Provide
  Arbitrary<List<Tuple2<AgreementEvent, Party>>> steps() {
    return Combinators.combine(Arbitraries.of(AgreementEvent.class), Arbitraries.of(Party.class)).as(Tuple::of).list().ofMaxSize(8);
  }
}
