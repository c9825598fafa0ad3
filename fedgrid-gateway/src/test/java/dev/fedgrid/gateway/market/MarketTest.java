package dev.fedgrid.gateway.market;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.gateway.GatewayServices;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.access.TestIdentity;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.market.MarketViews.AgreementView;
import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.DocumentView;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import dev.fedgrid.gateway.market.MarketViews.Price;
import dev.fedgrid.gateway.market.MarketViews.ProposalView;
import dev.fedgrid.gateway.market.MarketViews.TransitionView;
import dev.fedgrid.gateway.payments.AccountId;
import dev.fedgrid.gateway.payments.Transfer;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The market service on SQLite with a clock the test moves: negotiation, the agreement table with
 * expiry, payment documents paid through the internal ledger, and that refused operations change
 * nothing. The provider side is the owner (who holds can_manage_infrastructure), the requestor the
 * data scientist ana.
 */
class MarketTest {
  private static final String PASSWORD = "correct horse battery staple";
  private static final CoordinatorOptions OPTIONS =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));

  /** A clock that stands still until moved. */
  static final class TestClock implements InstantSource {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-03T12:00:00Z"));

    @Override
    public Instant instant() {
      return now.get();
    }

    void advance(Duration d) {
      now.updateAndGet(t -> t.plus(d));
    }
  }

  @TempDir Path dir;
  private final TestClock clock = new TestClock();
  private SqlDatabase db;
  private GatewayServices services;
  private Coordinator coordinator;
  private Market market;
  private Principal owner;
  private Principal ana;
  private Principal bo;
  private NodeId node;

  @BeforeEach
  void open() {
    openServices();
    owner = services.identity().authenticate(services.identity().bootstrap().orElseThrow().token());
    for (String name : List.of("ana", "bo")) services.identity().createUser(owner, name, "data-scientist", Optional.of(PASSWORD));
    ana = services.identity().authenticate(services.identity().login("ana", PASSWORD, "127.0.0.1").token());
    bo = services.identity().authenticate(services.identity().login("bo", PASSWORD, "127.0.0.1").token());
    node = NodeId.random();
    Instant now = clock.instant();
    services.store().putNode(new NodeRecord(node, "hospital-a", 8, 16384, "test", new byte[32], now, now));
    var columns = List.of(new ColumnStats("x0", 100, 1.0, 2.0));
    services.store().putDataset(node, new DatasetMetadata("cancer", DatasetFormat.CSV, List.of(1), columns, LabelInfo.categorical("y", List.of(50L, 50L)), 100, 10,
        List.of("oncology"), Visibility.PUBLIC), now);
  }

  private void openServices() {
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    services = GatewayServices.of(db, clock, TestIdentity.FAST);
    coordinator = services.coordinator(OPTIONS);
    market = services.market();
  }

  @AfterEach
  void close() {
    coordinator.close();
    db.close();
  }

  private String job(Principal who) throws Exception {
    String spec = "{\"name\": \"m\", \"datasets\": [\"cancer\"], \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}],"
        + " \"loss\": \"binary_cross_entropy\"}, \"rounds\": 1, \"minNodes\": 2}";
    return coordinator.submitJob(who, Json.mapper().readValue(spec, JobSpec.class)).id().value();
  }

  private String offer(String fixed) {
    return market.publishOffer(owner, new OfferTerms(node.value(), Map.of("fedgrid.inf.mem.gib", 16, "fedgrid.dataset.tags", List.of("oncology")),
        "(fedgrid.job.owner=*)", new Price(fixed, Map.of("examples_epochs", "0.001")))).id();
  }

  private String demand(String job) {
    return market.publishDemand(ana, new DemandTerms(job, Map.of(), "(&(fedgrid.inf.mem.gib>=4)(fedgrid.dataset.tags=oncology))",
        new Price("5", Map.of("examples_epochs", "0.01")), "100", Map.of("examples_epochs", 1000L))).id();
  }

  /** An approved agreement of a fresh job of ana's with a fresh offer. */
  private AgreementView approved() throws Exception {
    ProposalView p = market.propose(ana, offer("2"), demand(job(ana)));
    AgreementView a = market.createAgreement(ana, p.id(), Optional.empty(), Optional.of("20"));
    market.confirm(ana, a.id());
    return market.approve(owner, a.id());
  }

  private BigDecimal balance(AccountId id) {
    return market.ledger().account(id).map(a -> a.balance()).orElse(BigDecimal.ZERO);
  }

  private List<String> actions() {
    return services.audit().events(AuditQuery.all(1000)).stream().map(AuditEvent::action).toList();
  }

  private static String code(Throwable e) {
    return ((FedGridException) e).code();
  }

  @Test
  void aNegotiatedAgreementIsPaidExactlyItsAcceptedInvoiceThroughTheLedger() throws Exception {
    String job = job(ana);
    String offer = offer("2");
    String demand = demand(job);
    assertThat(market.offers(ana, Optional.of("(fedgrid.inf.mem.gib>=8)"), Optional.empty(), Optional.of(demand), false, "", 50).items())
        .extracting(o -> o.id()).containsExactly(offer);
    assertThat(market.offers(ana, Optional.of("(fedgrid.inf.mem.gib>=32)"), Optional.empty(), Optional.empty(), false, "", 50).items()).isEmpty();

    ProposalView first = market.propose(ana, offer, demand);
    assertThat(first.issuer()).isEqualTo("REQUESTOR");
    assertThat(first.estimate()).isEqualTo("3"); // 2 + 0.001 × 1000
    ProposalView counter = market.counter(owner, first.id(), new Market.Counter(null, null, new Price("3", Map.of("examples_epochs", "0.001")), null, null, null));
    assertThat(counter.issuer()).isEqualTo("PROVIDER");
    assertThat(counter.previous()).isEqualTo(first.id());
    assertThat(market.proposal(ana, first.id()).latest()).isFalse();

    AgreementView created = market.createAgreement(ana, counter.id(), Optional.of(600L), Optional.of("20"));
    assertThat(created.state()).isEqualTo("PROPOSAL");
    assertThat(created.hardCap()).isEqualTo("100");
    market.confirm(ana, created.id());
    AgreementView a = market.approve(owner, created.id());
    assertThat(a.state()).isEqualTo("APPROVED");
    assertThat(a.history()).extracting(TransitionView::event).containsExactly("CONFIRM", "APPROVE");
    assertThat(a.history()).extracting(TransitionView::actor).containsExactly("ana", owner.name());

    market.deposit(owner, "user:ana", "100", Optional.of("grant-1"), "research grant");
    market.deposit(owner, "user:ana", "100", Optional.of("grant-1"), "research grant"); // a retry: once
    assertThat(balance(AccountId.user("ana"))).isEqualByComparingTo("100");
    String allocation = market.allocate(ana, job, "50").id();
    assertThat(balance(AccountId.user("ana"))).isEqualByComparingTo("50");

    DocumentView n1 = market.issueDebitNote(owner, a.id(), "10", Optional.empty());
    assertThat(n1.warning()).isNull();
    assertThat(market.accept(ana, "debit_note", n1.id()).status()).isEqualTo("SETTLED");
    DocumentView n2 = market.issueDebitNote(owner, a.id(), "25", Optional.empty());
    assertThat(n2.warning()).contains("soft cap");
    market.accept(ana, "debit_note", n2.id());
    DocumentView invoice = market.issueInvoice(owner, a.id(), "30", "usage after the last note");
    DocumentView paid = market.accept(ana, "invoice", invoice.id());
    assertThat(paid.status()).isEqualTo("SETTLED");
    assertThat(paid.transfer()).startsWith("trf_");

    AccountId nodeAccount = AccountId.node(node.value());
    assertThat(balance(nodeAccount)).isEqualByComparingTo("30");
    List<Transfer> toNode = market.ledger().transfers(Optional.of(nodeAccount), 100);
    assertThat(toNode.stream().map(t -> t.amount().amount()).reduce(BigDecimal.ZERO, BigDecimal::add)).isEqualByComparingTo("30");
    assertThat(market.allocation(ana, allocation).spent()).isEqualTo("30");
    market.release(ana, allocation);
    assertThat(balance(AccountId.user("ana"))).isEqualByComparingTo("70");
    assertThat(market.ledger().accounts().stream().map(x -> x.balance()).reduce(BigDecimal.ZERO, BigDecimal::add)).isZero();

    assertThat(actions()).containsSubsequence(
        "offer.published", "demand.published", "proposal.created", "proposal.countered", "agreement.created", "agreement.confirmed",
        "agreement.approved", "ledger.deposited", "allocation.created", "debit_note.issued", "debit_note.accepted", "payment.settled",
        "invoice.issued", "invoice.accepted", "payment.settled", "allocation.released");
    assertThat(actions().stream().filter("ledger.deposited"::equals)).hasSize(1);
  }

  @Test
  void anIllegalTransitionIs409WithBothStatesAndChangesNothing() throws Exception {
    AgreementView a = approved();
    int events = actions().size();
    assertThatThrownBy(() -> market.confirm(ana, a.id()))
        .isInstanceOf(ConflictException.class)
        .satisfies(e -> assertThat(code(e)).isEqualTo("AGREEMENT_STATE_CONFLICT"))
        .satisfies(e -> assertThat(((FedGridException) e).details()).containsEntry("from", "APPROVED").containsEntry("to", "PENDING"));
    assertThatThrownBy(() -> market.approve(ana, a.id())).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> market.terminate(bo, a.id(), "mine")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> market.terminate(ana, a.id(), " ")).isInstanceOf(InvalidRequestException.class);
    assertThat(market.agreement(ana, a.id()).history()).hasSize(2);
    assertThat(actions()).hasSize(events);
    assertThat(market.terminate(owner, a.id(), "maintenance").state()).isEqualTo("TERMINATED");
    assertThatThrownBy(() -> market.cancel(ana, a.id())).isInstanceOf(ConflictException.class).hasMessageContaining("it is final");
  }

  @Test
  void anAgreementPastItsExpiryExpiresAndStaysExpiredWhenTheActionIsRefused() throws Exception {
    ProposalView p = market.propose(ana, offer("1"), demand(job(ana)));
    AgreementView a = market.createAgreement(ana, p.id(), Optional.of(60L), Optional.empty());
    market.confirm(ana, a.id());
    clock.advance(Duration.ofSeconds(60));
    assertThatThrownBy(() -> market.approve(owner, a.id()))
        .isInstanceOf(ConflictException.class)
        .satisfies(e -> assertThat(((FedGridException) e).details()).containsEntry("from", "EXPIRED").containsEntry("to", "APPROVED"));
    AgreementView expired = market.agreement(ana, a.id());
    assertThat(expired.state()).isEqualTo("EXPIRED");
    assertThat(expired.history().getLast().actor()).isEqualTo("system");
    assertThat(actions()).contains("agreement.expired");
    // a proposal that became an agreement cannot become another
    assertThatThrownBy(() -> market.createAgreement(ana, p.id(), Optional.empty(), Optional.empty()))
        .satisfies(e -> assertThat(code(e)).isEqualTo("PROPOSAL_CONFLICT"));
  }

  @Test
  void debitNotesFollowTheDocumentedRules() throws Exception {
    AgreementView a = approved();
    market.deposit(owner, "user:ana", "100", Optional.empty(), null);
    market.allocate(ana, a.job(), "15");
    DocumentView late = market.issueDebitNote(owner, a.id(), "5", Optional.of(60L));
    clock.advance(Duration.ofSeconds(61));
    assertThatThrownBy(() -> market.accept(ana, "debit_note", late.id())).satisfies(e -> assertThat(code(e)).isEqualTo("DEBIT_NOTE_EXPIRED"));
    assertThat(market.document(ana, "debit_note", late.id()).status()).isEqualTo("RECEIVED"); // delivered by ana's read, still not acceptable
    assertThatThrownBy(() -> market.issueDebitNote(owner, a.id(), "4", Optional.empty())).satisfies(e -> assertThat(code(e)).isEqualTo("DEBIT_NOTE_TOTAL_DECREASED"));
    DocumentView note = market.issueDebitNote(owner, a.id(), "8", Optional.empty());
    market.accept(ana, "debit_note", note.id());
    assertThatThrownBy(() -> market.rejectDocument(ana, "debit_note", note.id(), "changed my mind"))
        .isInstanceOf(ConflictException.class)
        .satisfies(e -> assertThat(code(e)).isEqualTo("PAYMENT_DOCUMENT_STATE_CONFLICT"));
    assertThatThrownBy(() -> market.document(ana, "invoice", note.id())).satisfies(e -> assertThat(code(e)).isEqualTo("INVOICE_NOT_FOUND"));
    DocumentView over = market.issueDebitNote(owner, a.id(), "20", Optional.empty());
    assertThatThrownBy(() -> market.accept(ana, "debit_note", over.id())).satisfies(e -> assertThat(code(e)).isEqualTo("ALLOCATION_EXCEEDED"));
    assertThat(balance(AccountId.node(node.value()))).isEqualByComparingTo("8");
    assertThatThrownBy(() -> market.issueDebitNote(owner, a.id(), "101", Optional.empty())).satisfies(e -> assertThat(code(e)).isEqualTo("PAYMENT_HARD_CAP"));
    assertThat(market.rejectDocument(ana, "debit_note", over.id(), "too much").status()).isEqualTo("REJECTED");
  }

  @Test
  void theRequestorsReadDeliversADocumentAndOthersReadsDoNot() throws Exception {
    AgreementView a = approved();
    DocumentView note = market.issueDebitNote(owner, a.id(), "5", Optional.empty());
    assertThat(market.document(owner, "debit_note", note.id()).status()).isEqualTo("ISSUED"); // the provider side reading it
    assertThat(actions()).doesNotContain("debit_note.received");
    assertThat(market.documents(ana, "debit_note", Optional.of(a.id()), "", 50).items()).singleElement()
        .satisfies(d -> assertThat(d.status()).isEqualTo("RECEIVED"));
    assertThat(market.document(ana, "debit_note", note.id()).status()).isEqualTo("RECEIVED");
    assertThat(actions().stream().filter("debit_note.received"::equals)).hasSize(1); // delivered once
    market.deposit(owner, "user:ana", "10", Optional.empty(), null);
    market.allocate(ana, a.job(), "10");
    assertThat(market.accept(ana, "debit_note", note.id()).status()).isEqualTo("SETTLED");
  }

  @Test
  void aDebitNoteLeftUnacceptedPastItsDeadlineTerminatesTheAgreementAndStaysDueInTheInvoice() throws Exception {
    AgreementView a = approved();
    market.deposit(owner, "user:ana", "100", Optional.empty(), null);
    String allocation = market.allocate(ana, a.job(), "50").id();
    DocumentView late = market.issueDebitNote(owner, a.id(), "5", Optional.of(60L));
    assertThat(market.document(ana, "debit_note", late.id()).status()).isEqualTo("RECEIVED");

    clock.advance(Duration.ofSeconds(60)); // at the deadline: still in time
    assertThat(market.enforceDeadlines()).isEmpty();
    assertThat(market.approvedNodes(dev.fedgrid.api.JobId.of(a.job()))).contains(java.util.Set.of(node));

    clock.advance(Duration.ofSeconds(1));
    // accepting it now is refused with a clear error and changes nothing
    int events = actions().size();
    var transfers = market.ledger().transfers(Optional.empty(), 100);
    assertThatThrownBy(() -> market.accept(ana, "debit_note", late.id()))
        .isInstanceOf(ConflictException.class)
        .satisfies(e -> assertThat(code(e)).isEqualTo("DEBIT_NOTE_EXPIRED"))
        .hasMessage("debit note " + late.id() + " could be accepted until 2026-11-03T12:01:00Z: accept the agreement's later debit note or its invoice,"
            + " which claim its total");
    assertThat(actions()).hasSize(events);
    assertThat(market.ledger().transfers(Optional.empty(), 100)).isEqualTo(transfers);
    assertThat(market.allocation(ana, allocation).spent()).isEqualTo("0");
    assertThat(balance(AccountId.node(node.value()))).isEqualByComparingTo("0");

    // the scheduler's next look at the job's nodes applies the rule: the node is no longer eligible
    assertThat(market.approvedNodes(dev.fedgrid.api.JobId.of(a.job()))).contains(java.util.Set.of());
    AgreementView after = market.agreement(ana, a.id());
    assertThat(after.state()).isEqualTo("TERMINATED");
    TransitionView t = after.history().getLast();
    assertThat(t.party()).isEqualTo("PROVIDER");
    assertThat(t.actor()).isEqualTo("system");
    assertThat(t.reason()).isEqualTo("debit note " + late.id() + " of 5 was not accepted by its deadline 2026-11-03T12:01:00Z; its total stays due in the invoice");
    assertThat(actions()).containsSubsequence("debit_note.overdue", "agreement.terminated");
    assertThat(market.document(ana, "debit_note", late.id()).status()).isEqualTo("RECEIVED");
    assertThat(market.enforceDeadlines()).isEmpty(); // terminated once

    // the note's total is claimed by the invoice, which the requestor can still accept and pay
    DocumentView invoice = market.issueInvoice(owner, a.id(), "5", "debit note " + late.id() + " was not accepted in time");
    assertThat(market.accept(ana, "invoice", invoice.id()).status()).isEqualTo("SETTLED");
    assertThat(balance(AccountId.node(node.value()))).isEqualByComparingTo("5");
  }

  @Test
  void aLateNoteCoveredByALaterAcceptedNoteIsNotOverdue() throws Exception {
    AgreementView a = approved();
    market.deposit(owner, "user:ana", "100", Optional.empty(), null);
    market.allocate(ana, a.job(), "50");
    market.issueDebitNote(owner, a.id(), "5", Optional.of(60L));
    DocumentView second = market.issueDebitNote(owner, a.id(), "8", Optional.of(600L));
    market.accept(ana, "debit_note", second.id()); // totals are cumulative: this covers the first note
    clock.advance(Duration.ofSeconds(120));
    assertThat(market.enforceDeadlines()).isEmpty();
    assertThat(market.agreement(ana, a.id()).state()).isEqualTo("APPROVED");
    // a rejected note is a decision, not a silence
    DocumentView third = market.issueDebitNote(owner, a.id(), "9", Optional.of(60L));
    market.rejectDocument(ana, "debit_note", third.id(), "usage not seen");
    clock.advance(Duration.ofSeconds(120));
    assertThat(market.enforceDeadlines()).isEmpty();
    assertThat(market.agreement(ana, a.id()).state()).isEqualTo("APPROVED");
  }

  @Test
  void anAllocationLargerThanTheBalanceIsRefusedAndChangesNothing() throws Exception {
    String job = job(ana);
    market.deposit(owner, "user:ana", "10", Optional.empty(), null);
    int events = actions().size();
    assertThatThrownBy(() -> market.allocate(ana, job, "10.5"))
        .isInstanceOf(ConflictException.class)
        .satisfies(e -> assertThat(code(e)).isEqualTo("INSUFFICIENT_FUNDS"));
    assertThat(market.allocations(ana, "", 50).items()).isEmpty();
    assertThat(balance(AccountId.user("ana"))).isEqualByComparingTo("10");
    assertThat(actions()).hasSize(events);
    assertThatThrownBy(() -> market.allocate(bo, job, "1")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> market.allocate(ana, job, "-1")).satisfies(e -> assertThat(code(e)).isEqualTo("INVALID_AMOUNT"));
    market.allocate(ana, job, "10");
    assertThatThrownBy(() -> market.allocate(ana, job, "0.1")).satisfies(e -> assertThat(code(e)).isEqualTo("ALLOCATION_EXISTS"));
  }

  @Test
  void badTermsAreRefusedWithTheirField() throws Exception {
    String job = job(ana);
    assertThatThrownBy(() -> market.publishOffer(owner, new OfferTerms(node.value(), Map.of(), "(&(a>=1)", null)))
        .satisfies(e -> assertThat(code(e)).isEqualTo("INVALID_CONSTRAINT"))
        .satisfies(e -> assertThat(((FedGridException) e).details()).containsKey("column"));
    assertThatThrownBy(() -> market.publishOffer(owner, new OfferTerms(node.value(), Map.of(), null, new Price("-1", Map.of()))))
        .satisfies(e -> assertThat(code(e)).isEqualTo("INVALID_AMOUNT"))
        .satisfies(e -> assertThat(((FedGridException) e).details()).containsEntry("field", "price.fixed"));
    assertThatThrownBy(() -> market.publishOffer(owner, new OfferTerms(node.value(), Map.of(), null, new Price("1", Map.of("examples_epochs", "NaN")))))
        .satisfies(e -> assertThat(code(e)).isEqualTo("INVALID_AMOUNT"));
    assertThatThrownBy(() -> market.publishOffer(owner, new OfferTerms(NodeId.random().value(), Map.of(), null, null)))
        .satisfies(e -> assertThat(code(e)).isEqualTo("NODE_NOT_FOUND"));
    assertThatThrownBy(() -> market.publishOffer(ana, new OfferTerms(node.value(), Map.of(), null, null))).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> market.publishDemand(ana, new DemandTerms(job, Map.of(), null, new Price("1", Map.of("minutes", "1")), "1", null)))
        .satisfies(e -> assertThat(code(e)).isEqualTo("INVALID_FIELD"));
    assertThatThrownBy(() -> market.publishDemand(bo, new DemandTerms(job, Map.of(), null, null, "1", null))).isInstanceOf(NotFoundException.class);
    assertThat(market.offers(owner, Optional.empty(), Optional.empty(), Optional.empty(), true, "", 50).items()).isEmpty();
    assertThat(actions()).doesNotContain("offer.published", "demand.published");
  }

  @Test
  void theMarketSurvivesARestart() throws Exception {
    AgreementView a = approved();
    market.deposit(owner, "user:ana", "5", Optional.empty(), null);
    close();
    openServices();
    assertThat(market.agreement(ana, a.id())).isEqualTo(a);
    assertThat(balance(AccountId.user("ana"))).isEqualByComparingTo("5");
  }
}
