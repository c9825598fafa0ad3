package dev.fedgrid.gateway.market;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.ResourceUsage;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.jobs.JobMarket;
import dev.fedgrid.gateway.market.MarketStore.AgreementRow;
import dev.fedgrid.gateway.market.MarketStore.AllocationRow;
import dev.fedgrid.gateway.market.MarketStore.DemandRow;
import dev.fedgrid.gateway.market.MarketStore.DocumentRow;
import dev.fedgrid.gateway.market.MarketStore.OfferRow;
import dev.fedgrid.gateway.market.MarketStore.ProposalRow;
import dev.fedgrid.gateway.market.MarketStore.TransitionRow;
import dev.fedgrid.gateway.market.MarketViews.AccountView;
import dev.fedgrid.gateway.market.MarketViews.AgreementView;
import dev.fedgrid.gateway.market.MarketViews.AllocationView;
import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.DemandView;
import dev.fedgrid.gateway.market.MarketViews.DocumentView;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import dev.fedgrid.gateway.market.MarketViews.OfferView;
import dev.fedgrid.gateway.market.MarketViews.Page;
import dev.fedgrid.gateway.market.MarketViews.Price;
import dev.fedgrid.gateway.market.MarketViews.ProposalView;
import dev.fedgrid.gateway.market.MarketViews.TransferView;
import dev.fedgrid.gateway.market.MarketViews.TransitionView;
import dev.fedgrid.gateway.payments.Account;
import dev.fedgrid.gateway.payments.AccountId;
import dev.fedgrid.gateway.payments.PaymentPlatform;
import dev.fedgrid.gateway.payments.Transfer;
import dev.fedgrid.gateway.payments.TransferRequest;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.gateway.state.SqlStateStore;
import dev.fedgrid.market.Agreement;
import dev.fedgrid.market.AgreementEvent;
import dev.fedgrid.market.AgreementId;
import dev.fedgrid.market.AgreementPayments;
import dev.fedgrid.market.AgreementState;
import dev.fedgrid.market.Agreements;
import dev.fedgrid.market.Allocation;
import dev.fedgrid.market.Constraint;
import dev.fedgrid.market.Demand;
import dev.fedgrid.market.DocumentId;
import dev.fedgrid.market.DocumentStatus;
import dev.fedgrid.market.Match;
import dev.fedgrid.market.Money;
import dev.fedgrid.market.Negotiation;
import dev.fedgrid.market.Offer;
import dev.fedgrid.market.Party;
import dev.fedgrid.market.PaymentCaps;
import dev.fedgrid.market.PaymentDocument;
import dev.fedgrid.market.PriceModel;
import dev.fedgrid.market.Properties;
import dev.fedgrid.market.PropertyValue;
import dev.fedgrid.market.Proposal;
import dev.fedgrid.market.ProposalId;
import dev.fedgrid.market.UsageCounter;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The compute market of one gateway, durable: offers, demands, negotiations, agreements,
 * allocations, debit notes and invoices in the gateway's database, and money moved through a {@link
 * PaymentPlatform}. Every rule is fedgrid-market's: each operation loads the rows, rebuilds the
 * domain objects, applies the domain operation and writes the result and its audit event in one
 * transaction, so a refused operation changes nothing.
 *
 * <p><b>Who may do what</b> (docs/market.md). The provider side is any user whose role has {@code
 * can_manage_infrastructure} (nodes belong to the gateway's operators, not to single users); the
 * requestor is the owner of the job a demand is for. Reads of demands, proposals, agreements and
 * documents are for the requestor, the provider side and {@code can_edit_settings}; anyone else gets
 * 404 as if they did not exist. Allocations and ledger accounts are the requestor's (and {@code
 * can_edit_settings}'); node accounts are also visible to the provider side.
 *
 * <p><b>Money.</b> Allocating moves the amount from the requestor's account ({@code user:<name>})
 * to the allocation's own account; accepting a document pays its not yet accepted part from there to
 * the node's account ({@code node:<id>}) and marks it {@code SETTLED} in the same transaction, so an
 * accepted document is never left unpaid; releasing an allocation returns what is left. Deposits
 * ({@code can_edit_settings}) are minted from the system account.
 *
 * <p><b>Time</b> is read from the injected clock: agreements expire when read or acted on past
 * their expiry (the expiry is stored in its own transaction first, so it stays when the action is
 * then refused), and {@link #expireDue()} sweeps; a debit note cannot be accepted past its deadline,
 * and an APPROVED agreement with a debit note left unaccepted past it is terminated on the
 * provider's behalf ({@link #enforceDeadlines()}; applied when rounds are billed, when the
 * scheduler reads a job's approved nodes and before market reads and actions).
 *
 * <p><b>Market jobs.</b> As the coordinator's {@link JobMarket}, a job declared a market job at
 * submission or with a demand runs only on the nodes of its APPROVED agreements; each round is
 * metered and billed with a debit note per agreement in the transaction that records it, an
 * agreement is terminated before a round would take it past its hard cap, and every used agreement
 * is invoiced when the job ends.
 *
 * <p>Thread-safe: every operation is one database transaction.
 */
public final class Market implements JobMarket {
  static final int DEFAULT_VALID_FOR_SECONDS = 3600;
  static final int DEFAULT_ACCEPT_WITHIN_SECONDS = 3600;
  private static final String ACTIVE = "active";
  private static final String DEBIT_NOTE = "debit_note";
  private static final String INVOICE = "invoice";

  private final SqlDatabase db;
  private final SqlStateStore state;
  private final AuditLog audit;
  private final PaymentPlatform ledger;
  private final InstantSource clock;
  private final MarketStore store;

  public Market(SqlDatabase db, SqlStateStore state, AuditLog audit, PaymentPlatform ledger, InstantSource clock) {
    this.db = Objects.requireNonNull(db, "db");
    this.state = Objects.requireNonNull(state, "state");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.store = new MarketStore(db);
  }

  public PaymentPlatform ledger() {
    return ledger;
  }

  // ---- offers ----

  /** A provider publishes an offer for an enrolled node. */
  public OfferView publishOffer(Principal caller, OfferTerms terms) {
    caller.require(Permission.MANAGE_INFRASTRUCTURE, "publish offers");
    Offer offer = MarketJson.offer(terms);
    NodeId node = NodeId.of(offer.providerNodeId());
    if (state.node(node).isEmpty()) {
      throw new NotFoundException("NODE_NOT_FOUND", "no node has id " + node + "; see `fedgrid node list`", Map.of("node", node.value()));
    }
    Instant now = clock.instant();
    var row = new OfferRow(MarketIds.next(MarketIds.OFFER), MarketJson.terms(offer), ACTIVE, caller.name(), now, null);
    return db.transact("publish offer " + row.id(), () -> {
      store.insertOffer(row);
      audit.append(caller.name(), "offer.published", row.id(), Map.of("node", node.value(), "price", row.terms().price().fixed()));
      return view(row);
    });
  }

  /**
   * Offers, active only unless {@code all}: of {@code node} when given, whose properties meet
   * {@code constraint} when given, that match demand {@code demand} (both ways, price and budget)
   * when given.
   */
  public Page<OfferView> offers(Principal caller, Optional<String> constraint, Optional<String> node, Optional<String> demand, boolean all, String cursor,
      int limit) {
    Optional<Constraint> filter = constraint.map(MarketJson::constraint);
    Optional<Demand> against = demand.map(id -> MarketJson.demand(visibleDemand(caller, id).terms()));
    List<OfferRow> rows = db.transact("list offers", () -> store.offers(all ? Optional.empty() : Optional.of(ACTIVE), cursor, limit));
    List<OfferView> items = new ArrayList<>();
    for (OfferRow r : rows) {
      Offer o = MarketJson.offer(r.terms());
      if (node.isPresent() && !node.get().equals(o.providerNodeId())) continue;
      if (filter.isPresent() && !filter.get().test(o.properties())) continue;
      if (against.isPresent() && !(Match.of(o, against.get()) instanceof Match.Matched)) continue;
      items.add(view(r));
    }
    return page(items, rows, limit, OfferRow::id);
  }

  public OfferView offer(Principal caller, String id) {
    return view(loadOffer(id));
  }

  /** The provider withdraws an offer; negotiations on it can no longer start. */
  public OfferView withdrawOffer(Principal caller, String id) {
    caller.require(Permission.MANAGE_INFRASTRUCTURE, "withdraw offers");
    return db.transact("withdraw offer " + id, () -> {
      OfferRow row = loadOffer(id);
      if (!row.state().equals(ACTIVE)) throw new ConflictException("OFFER_WITHDRAWN", "offer " + id + " was withdrawn already", Map.of("offer", id));
      Instant now = clock.instant();
      store.withdrawOffer(id, now);
      audit.append(caller.name(), "offer.withdrawn", id, Map.of("node", row.terms().node()));
      return view(store.offer(id).orElseThrow());
    });
  }

  // ---- demands ----

  /** The owner of a job publishes what it needs. */
  public DemandView publishDemand(Principal caller, DemandTerms terms) {
    if (terms.job() == null) throw MarketJson.field("job", "'job' is required: the id of your job (job_...)");
    Job job = ownJob(caller, terms.job(), "publish a demand for");
    Demand parsed = MarketJson.demand(terms);
    var props = new LinkedHashMap<>(parsed.properties().asMap());
    props.put("fedgrid.job.owner", new PropertyValue.Text(job.owner()));
    var b = Properties.builder();
    props.forEach(b::put);
    Demand demand = new Demand(parsed.jobId(), b.build(), parsed.constraints(), parsed.maxPrice(), parsed.budget(), parsed.expectedUsage());
    var row = new DemandRow(MarketIds.next(MarketIds.DEMAND), job.id().value(), job.owner(), MarketJson.terms(demand), ACTIVE, clock.instant(), null);
    return db.transact("publish demand " + row.id(), () -> {
      store.insertDemand(row);
      audit.append(caller.name(), "demand.published", row.id(), Map.of("job", row.jobId(), "budget", row.terms().budget()));
      return view(row);
    });
  }

  public Page<DemandView> demands(Principal caller, String cursor, int limit) {
    Optional<String> owner = seesAll(caller) ? Optional.empty() : Optional.of(caller.name());
    List<DemandRow> rows = db.transact("list demands", () -> store.demands(owner, cursor, limit));
    return page(rows.stream().map(Market::view).toList(), rows, limit, DemandRow::id);
  }

  public DemandView demand(Principal caller, String id) {
    return view(visibleDemand(caller, id));
  }

  /** The requestor withdraws a demand; negotiations on it can no longer start. */
  public DemandView withdrawDemand(Principal caller, String id) {
    return db.transact("withdraw demand " + id, () -> {
      DemandRow row = visibleDemand(caller, id);
      requireRequestor(caller, row.owner(), "withdraw demand " + id);
      if (!row.state().equals(ACTIVE)) throw new ConflictException("DEMAND_WITHDRAWN", "demand " + id + " was withdrawn already", Map.of("demand", id));
      store.withdrawDemand(id, clock.instant());
      audit.append(caller.name(), "demand.withdrawn", id, Map.of("job", row.jobId()));
      return view(store.demand(id).orElseThrow());
    });
  }

  // ---- negotiation ----

  /**
   * Opens a negotiation between an active offer and an active demand with a first proposal, issued
   * by the requestor when the caller owns the demand's job, else by the provider side.
   */
  public ProposalView propose(Principal caller, String offerId, String demandId) {
    if (offerId == null) throw MarketJson.field("offer", "'offer' is required: the id of an offer (ofr_...)");
    if (demandId == null) throw MarketJson.field("demand", "'demand' is required: the id of a demand (dmd_...)");
    return db.transact("propose " + offerId + " for " + demandId, () -> {
      OfferRow offer = loadOffer(offerId);
      DemandRow demand = visibleDemand(caller, demandId);
      if (!offer.state().equals(ACTIVE)) throw new ConflictException("OFFER_WITHDRAWN", "offer " + offerId + " was withdrawn", Map.of("offer", offerId));
      if (!demand.state().equals(ACTIVE)) throw new ConflictException("DEMAND_WITHDRAWN", "demand " + demandId + " was withdrawn", Map.of("demand", demandId));
      Party issuer = party(caller, demand.owner(), "propose on demand " + demandId);
      Proposal first = Negotiation.open(MarketJson.offer(offer.terms()), MarketJson.demand(demand.terms()), issuer, clock).latest();
      var row = new ProposalRow(first.id().value(), first.id().value(), 0, null, offerId, demandId, issuer, caller.name(), MarketJson.terms(first.offer()),
          MarketJson.terms(first.demand()), first.estimate(), first.createdAt());
      store.insertProposal(row);
      audit.append(caller.name(), "proposal.created", row.id(), Map.of("offer", offerId, "demand", demandId, "issuer", issuer.name(), "estimate", first.estimate().toString()));
      return view(row, true);
    });
  }

  /**
   * The body of a counter-proposal: the provider side changes the offer's {@code properties},
   * {@code constraints} and {@code price}; the requestor the demand's {@code properties}, {@code
   * constraints}, {@code maxPrice}, {@code budget} and {@code expectedUsage}. What is left out is
   * kept from the proposal countered.
   */
  public record Counter(
      Map<String, Object> properties, String constraints, Price price, Price maxPrice, String budget, Map<String, Long> expectedUsage) {}

  /** The other side counters the latest proposal of a negotiation. */
  public ProposalView counter(Principal caller, String proposalId, Counter body) {
    return db.transact("counter proposal " + proposalId, () -> {
      ProposalRow countered = visibleProposal(caller, proposalId);
      DemandRow demand = store.demand(countered.demandId()).orElseThrow();
      Party side = party(caller, demand.owner(), "counter proposal " + proposalId);
      List<ProposalRow> chain = store.negotiation(countered.negotiationId());
      Negotiation n = Negotiation.restore(chain.stream().map(Market::proposal).toList(), store.negotiationClosed(countered.negotiationId()), clock);
      Proposal p;
      if (side == Party.PROVIDER) {
        if (body.maxPrice() != null || body.budget() != null || body.expectedUsage() != null) {
          throw MarketJson.field("maxPrice", "the provider side counters with offer terms (properties, constraints, price), not demand terms");
        }
        OfferTerms t = countered.offerTerms();
        p = n.counterOffer(ProposalId.of(proposalId), MarketJson.offer(new OfferTerms(t.node(), or(body.properties(), t.properties()),
            or(body.constraints(), t.constraints()), or(body.price(), t.price()))));
      } else {
        if (body.price() != null) throw MarketJson.field("price", "the requestor counters with demand terms (maxPrice, budget, expectedUsage, ...), not a price");
        DemandTerms t = countered.demandTerms();
        p = n.counterDemand(ProposalId.of(proposalId), MarketJson.demand(new DemandTerms(t.job(), or(body.properties(), t.properties()),
            or(body.constraints(), t.constraints()), or(body.maxPrice(), t.maxPrice()), or(body.budget(), t.budget()), or(body.expectedUsage(), t.expectedUsage()))));
      }
      var row = new ProposalRow(p.id().value(), countered.negotiationId(), chain.size(), proposalId, countered.offerId(), countered.demandId(), side,
          caller.name(), MarketJson.terms(p.offer()), MarketJson.terms(p.demand()), p.estimate(), p.createdAt());
      store.insertProposal(row);
      audit.append(caller.name(), "proposal.countered", row.id(), Map.of("counters", proposalId, "issuer", side.name(), "estimate", p.estimate().toString()));
      return view(row, true);
    });
  }

  public Page<ProposalView> proposals(Principal caller, Optional<String> demand, String cursor, int limit) {
    Optional<String> owner = seesAll(caller) ? Optional.empty() : Optional.of(caller.name());
    return db.transact("list proposals", () -> {
      List<ProposalRow> rows = store.proposals(owner, demand, cursor, limit);
      var items = new ArrayList<ProposalView>();
      for (ProposalRow r : rows) items.add(view(r, latest(r)));
      return page(items, rows, limit, ProposalRow::id);
    });
  }

  public ProposalView proposal(Principal caller, String id) {
    return db.transact("read proposal " + id, () -> {
      ProposalRow r = visibleProposal(caller, id);
      return view(r, latest(r));
    });
  }

  // ---- agreements ----

  /**
   * The requestor makes an agreement (state PROPOSAL) of the latest proposal of a negotiation.
   *
   * @param validForSeconds how long the provider has to approve once confirmed
   * @param softCap the amount past which a debit note warns; the hard cap is the demand's budget
   */
  public AgreementView createAgreement(Principal caller, String proposalId, Optional<Long> validForSeconds, Optional<String> softCap) {
    if (proposalId == null) throw MarketJson.field("proposal", "'proposal' is required: the id of the latest proposal (prop_...)");
    long seconds = validForSeconds.orElse((long) DEFAULT_VALID_FOR_SECONDS);
    return db.transact("create an agreement from " + proposalId, () -> {
      ProposalRow terms = visibleProposal(caller, proposalId);
      DemandRow demand = store.demand(terms.demandId()).orElseThrow();
      requireRequestor(caller, demand.owner(), "make an agreement on demand " + demand.id());
      List<ProposalRow> chain = store.negotiation(terms.negotiationId());
      Negotiation n = Negotiation.restore(chain.stream().map(Market::proposal).toList(), store.negotiationClosed(terms.negotiationId()), clock);
      Agreement a = new Agreements(clock).create(n, ProposalId.of(proposalId), Duration.ofSeconds(seconds));
      Money hard = a.terms().demand().budget();
      PaymentCaps caps = new PaymentCaps(softCap.map(s -> MarketJson.money(s, "softCap")).orElse(hard), hard);
      var row = new AgreementRow(a.id().value(), proposalId, terms.offerId(), terms.demandId(), demand.jobId(), a.terms().offer().providerNodeId(), demand.owner(),
          a.state(), a.expiresAt(), caps.soft(), caps.hard(), clock.instant());
      store.insertAgreement(row);
      audit.append(caller.name(), "agreement.created", row.id(), Map.of("proposal", proposalId, "job", row.jobId(), "node", row.nodeId()));
      return view(row, terms, List.of());
    });
  }

  public Page<AgreementView> agreements(Principal caller, Optional<String> job, String cursor, int limit) {
    expireDue();
    enforceDeadlines();
    Optional<String> requestor = seesAll(caller) ? Optional.empty() : Optional.of(caller.name());
    return db.transact("list agreements", () -> {
      List<AgreementRow> rows = store.agreements(requestor, job, cursor, limit);
      var items = new ArrayList<AgreementView>();
      for (AgreementRow r : rows) items.add(view(r));
      return page(items, rows, limit, AgreementRow::id);
    });
  }

  /** The agreement with its history, expired first when due. */
  public AgreementView agreement(Principal caller, String id) {
    visibleAgreement(caller, id);
    expire(id);
    enforceDeadlines();
    return db.transact("read agreement " + id, () -> view(store.agreement(id).orElseThrow()));
  }

  /** The requestor confirms an agreement (PROPOSAL → PENDING), asking the provider to approve. */
  public AgreementView confirm(Principal caller, String id) {
    return act(caller, id, AgreementEvent.CONFIRM, null);
  }

  public AgreementView approve(Principal caller, String id) {
    return act(caller, id, AgreementEvent.APPROVE, null);
  }

  public AgreementView reject(Principal caller, String id) {
    return act(caller, id, AgreementEvent.REJECT, null);
  }

  public AgreementView cancel(Principal caller, String id) {
    return act(caller, id, AgreementEvent.CANCEL, null);
  }

  public AgreementView terminate(Principal caller, String id, String reason) {
    return act(caller, id, AgreementEvent.TERMINATE, reason);
  }

  /** Expires every open agreement whose expiry has passed; returns their ids. */
  public List<String> expireDue() {
    List<String> due = db.transact("find agreements due to expire", () -> store.dueAgreements(clock.instant()));
    due.forEach(this::expire);
    return due;
  }

  private AgreementView act(Principal caller, String id, AgreementEvent event, String reason) {
    visibleAgreement(caller, id);
    expire(id);
    enforceDeadlines();
    String verb = event.name().toLowerCase(Locale.ROOT);
    return db.transact(verb + " agreement " + id, () -> {
      AgreementRow row = visibleAgreement(caller, id);
      Party party = switch (event) {
        case CONFIRM, CANCEL -> {
          requireRequestor(caller, row.requestor(), verb + " agreement " + id);
          yield Party.REQUESTOR;
        }
        case APPROVE, REJECT -> {
          caller.require(Permission.MANAGE_INFRASTRUCTURE, verb + " agreements");
          yield Party.PROVIDER;
        }
        default -> party(caller, row.requestor(), "terminate agreement " + id);
      };
      Agreement before = agreement(row);
      Agreement after;
      try {
        after = Agreements.transition(before, event, party, reason, clock.instant());
      } catch (ConflictException e) {
        var details = new LinkedHashMap<>(e.details());
        details.put("from", before.state().name());
        details.put("to", target(event).name());
        throw new ConflictException(e.code(), e.getMessage(), details);
      }
      record(row, after, caller.name());
      var details = new LinkedHashMap<String, String>();
      details.put("from", before.state().name());
      details.put("to", after.state().name());
      if (reason != null && !reason.isBlank()) details.put("reason", reason);
      audit.append(caller.name(), "agreement." + past(event), id, details);
      return view(store.agreement(id).orElseThrow());
    });
  }

  /** Stores the expiry of agreement {@code id} in its own transaction when it is due. */
  private void expire(String id) {
    db.transact("expire agreement " + id, () -> {
      AgreementRow row = store.agreement(id).orElseThrow();
      Agreement before = agreement(row);
      Agreement after = Agreements.expireIfDue(before, clock.instant());
      if (after.state() != before.state()) {
        record(row, after, "system");
        audit.append("system", "agreement.expired", id, Map.of("from", before.state().name(), "expiresAt", SqlDatabase.text(row.expiresAt())));
      }
      return null;
    });
  }

  /** Writes the state of {@code after} and the transitions it has beyond the stored history. */
  private void record(AgreementRow row, Agreement after, String actor) throws SQLException {
    int stored = store.history(row.id()).size();
    for (int i = stored; i < after.history().size(); i++) {
      Agreement.Transition t = after.history().get(i);
      store.appendTransition(row.id(), i, new TransitionRow(t.from(), t.to(), t.event(), t.actor(), actor, t.at(), t.reason()));
    }
    store.setAgreementState(row.id(), after.state());
  }

  private static AgreementState target(AgreementEvent event) {
    return switch (event) {
      case CONFIRM -> AgreementState.PENDING;
      case APPROVE -> AgreementState.APPROVED;
      case REJECT -> AgreementState.REJECTED;
      case CANCEL -> AgreementState.CANCELLED;
      case EXPIRE -> AgreementState.EXPIRED;
      case TERMINATE -> AgreementState.TERMINATED;
    };
  }

  private static String past(AgreementEvent event) {
    return switch (event) {
      case CONFIRM -> "confirmed";
      case APPROVE -> "approved";
      case REJECT -> "rejected";
      case CANCEL -> "cancelled";
      case EXPIRE -> "expired";
      case TERMINATE -> "terminated";
    };
  }

  // ---- allocations ----

  /**
   * The owner of a job reserves {@code amount} for it from their ledger account; one active
   * allocation per job.
   *
   * @throws ConflictException {@code INSUFFICIENT_FUNDS} when the account holds less; {@code
   *     ALLOCATION_EXISTS} when the job has an active allocation
   */
  public AllocationView allocate(Principal caller, String jobId, String amount) {
    if (jobId == null) throw MarketJson.field("job", "'job' is required: the id of your job (job_...)");
    Job job = ownJob(caller, jobId, "allocate money to");
    Money total = MarketJson.money(amount, "amount");
    if (total.isZero()) throw new InvalidRequestException("INVALID_AMOUNT", "an allocation reserves a positive amount, got 0", Map.of("field", "amount"));
    String id = MarketIds.next(MarketIds.ALLOCATION);
    AccountId account = AccountId.allocation(id);
    return db.transact("allocate " + total + " to job " + jobId, () -> {
      Optional<AllocationRow> existing = store.activeAllocation(job.id().value());
      if (existing.isPresent()) {
        throw new ConflictException(
            "ALLOCATION_EXISTS", "job " + jobId + " has allocation " + existing.get().id() + " already; release it first", Map.of("allocation", existing.get().id()));
      }
      AccountId from = AccountId.user(caller.name());
      ledger.open(from);
      ledger.open(account);
      Transfer t = ledger.transfer(new TransferRequest("allocate:" + id, from, account, total, "allocation " + id + " for job " + jobId));
      var row = new AllocationRow(id, job.id().value(), caller.name(), account.value(), total, Money.ZERO, ACTIVE, clock.instant(), null);
      store.insertAllocation(row);
      audit.append(caller.name(), "allocation.created", id, Map.of("job", row.jobId(), "amount", total.toString(), "transfer", t.id()));
      return view(row);
    });
  }

  /** The owner releases an allocation: what is left goes back to their account. */
  public AllocationView release(Principal caller, String id) {
    return db.transact("release allocation " + id, () -> {
      AllocationRow row = visibleAllocation(caller, id);
      requireRequestor(caller, row.owner(), "release allocation " + id);
      if (!row.state().equals(ACTIVE)) throw new ConflictException("ALLOCATION_RELEASED", "allocation " + id + " was released already", Map.of("allocation", id));
      Money left = row.remaining();
      var details = new LinkedHashMap<String, String>();
      details.put("returned", left.toString());
      if (!left.isZero()) {
        Transfer t = ledger.transfer(new TransferRequest("release:" + id, AccountId.of(row.account()), AccountId.user(row.owner()), left, "release of " + id));
        details.put("transfer", t.id());
      }
      var released = new AllocationRow(row.id(), row.jobId(), row.owner(), row.account(), row.total(), row.spent(), "released", row.createdAt(), clock.instant());
      store.updateAllocation(released);
      audit.append(caller.name(), "allocation.released", id, details);
      return view(released);
    });
  }

  public Page<AllocationView> allocations(Principal caller, String cursor, int limit) {
    Optional<String> owner = caller.has(Permission.EDIT_SETTINGS) ? Optional.empty() : Optional.of(caller.name());
    List<AllocationRow> rows = db.transact("list allocations", () -> store.allocations(owner, cursor, limit));
    return page(rows.stream().map(Market::view).toList(), rows, limit, AllocationRow::id);
  }

  public AllocationView allocation(Principal caller, String id) {
    return db.transact("read allocation " + id, () -> view(visibleAllocation(caller, id)));
  }

  // ---- debit notes and invoices ----

  /** The provider side issues a debit note carrying the cumulative total due under an approved agreement. */
  public DocumentView issueDebitNote(Principal caller, String agreementId, String totalDue, Optional<Long> acceptWithinSeconds) {
    caller.require(Permission.MANAGE_INFRASTRUCTURE, "issue debit notes");
    Money total = MarketJson.money(totalDue, "totalDue");
    Duration within = Duration.ofSeconds(acceptWithinSeconds.orElse((long) DEFAULT_ACCEPT_WITHIN_SECONDS));
    return issue(caller, agreementId, DEBIT_NOTE, payments -> {
      AgreementPayments.Issued issued = payments.issueDebitNote(total, within);
      return new Issued(issued.note(), issued.warning().orElse(null));
    });
  }

  /** The provider side issues the invoice of an approved or terminated agreement. */
  public DocumentView issueInvoice(Principal caller, String agreementId, String amount, String justification) {
    caller.require(Permission.MANAGE_INFRASTRUCTURE, "issue invoices");
    Money total = MarketJson.money(amount, "amount");
    return issue(caller, agreementId, INVOICE, payments -> new Issued(payments.issueInvoice(total, justification), null));
  }

  private record Issued(PaymentDocument document, String warning) {}

  private interface Issue {
    Issued apply(AgreementPayments payments);
  }

  private DocumentView issue(Principal caller, String agreementId, String kind, Issue issue) {
    visibleAgreement(caller, agreementId);
    expire(agreementId);
    return db.transact("issue a " + kind + " for " + agreementId, () -> {
      AgreementRow row = store.agreement(agreementId).orElseThrow();
      if (row.state() != AgreementState.APPROVED && row.state() != AgreementState.TERMINATED) {
        throw new ConflictException(
            "AGREEMENT_NOT_APPROVED",
            "agreement " + agreementId + " is " + row.state() + ": debit notes and invoices are issued under APPROVED or TERMINATED agreements only",
            Map.of("agreement", agreementId, "state", row.state().name()));
      }
      List<DocumentRow> docs = store.documents(agreementId);
      Issued issued = issue.apply(payments(row, docs, allocationOf(row)));
      return view(insert(row, docs.size(), kind, issued, caller.name(), Map.of()), issued.warning());
    });
  }

  /** Stores an issued document with its audit event ({@code <kind>.issued}); returns its row. */
  private DocumentRow insert(AgreementRow row, int position, String kind, Issued issued, String actor, Map<String, String> more) throws SQLException {
    PaymentDocument d = issued.document();
    Instant deadline = d instanceof PaymentDocument.DebitNote n ? n.acceptanceDeadline() : null;
    String justification = d instanceof PaymentDocument.Invoice i ? i.justification() : "";
    var doc = new DocumentRow(d.id().value(), row.id(), position, kind, d.amount(), d.status(), d.issuedAt(), deadline, justification, "", null, clock.instant());
    store.insertDocument(doc);
    var details = new LinkedHashMap<String, String>();
    details.put("agreement", row.id());
    details.put("amount", d.amount().toString());
    if (issued.warning() != null) details.put("warning", issued.warning());
    details.putAll(more);
    audit.append(actor, kind + ".issued", doc.id(), details);
    return doc;
  }

  /**
   * Whether the node {@code node} (a node id, or the node name its certificate carries) holds an
   * APPROVED agreement for {@code job}. Read-only; the route lets operators ({@code
   * can_manage_infrastructure}) call it, which is the role a key custodian's service token has. A
   * job that is not a market job has no agreements, so no node holds one. Every registered node of
   * that name counts: under mutual TLS a node registers only under its certificate's name.
   *
   * @throws NotFoundException with code {@code JOB_NOT_FOUND} for an unknown job
   * @throws InvalidRequestException with code {@code INVALID_NODE} for a name no certificate could carry
   */
  public MarketViews.AssignmentView assignment(Principal caller, JobId job, String node) {
    Objects.requireNonNull(caller, "caller");
    if (node == null || !node.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw new InvalidRequestException("INVALID_NODE", "a node is named by its id (node_...) or the name in its certificate, got '" + node + "'",
          Map.of("node", String.valueOf(node)));
    }
    return db.transact("check the assignment of node " + node + " to job " + job, () -> {
      if (state.job(job).isEmpty()) {
        throw new NotFoundException("JOB_NOT_FOUND", "no job has id " + job + "; see `fedgrid job list`", Map.of("job", job.value()));
      }
      var ids = new TreeSet<String>();
      for (NodeRecord n : state.nodes()) {
        if (n.id().value().equals(node) || n.name().equals(node)) ids.add(n.id().value());
      }
      boolean approved = false;
      for (AgreementRow a : store.agreementsOfJob(job.value())) {
        if (a.state() == AgreementState.APPROVED && ids.contains(a.nodeId())) approved = true;
      }
      return new MarketViews.AssignmentView(job.value(), node, List.copyOf(ids), approved);
    });
  }

  // ---- metering: the coordinator's port ----

  /**
   * For a market job, the nodes of its APPROVED agreements; empty for a job that is not one. A job
   * is a market job when it was declared one at submission ({@link
   * dev.fedgrid.api.job.JobSpec#market()}) or once a demand was published for it.
   */
  @Override
  public Optional<Set<NodeId>> approvedNodes(JobId job) {
    return db.transact("read the agreements of job " + job, () -> {
      if (!store.hasDemand(job.value()) && !state.job(job).map(j -> j.spec().market()).orElse(false)) return Optional.<Set<NodeId>>empty();
      terminateOverdue(Optional.of(job.value()));
      Set<NodeId> nodes = new TreeSet<>();
      for (AgreementRow a : store.agreementsOfJob(job.value())) {
        if (a.state() == AgreementState.APPROVED) nodes.add(NodeId.of(a.nodeId()));
      }
      return Optional.of(Set.copyOf(nodes));
    });
  }

  /**
   * Meters a round of a market job and bills it, inside the transaction that records the round.
   * For each node whose update was aggregated: its usage (examples × epochs from {@link
   * RoundSummary#contributions()}, CPU time and bytes moved from {@link RoundSummary#resources()})
   * is stored under its APPROVED agreement for the job, and a debit note (actor {@code system})
   * carries the price of the agreement's usage so far, {@code fixed + Σ coefficient · usage} over
   * examples × epochs, whole CPU seconds and bytes, capped at the hard cap; past
   * the soft cap the note comes with a {@code soft_cap} notice. Then the hard cap is kept ahead of
   * time: when the next round, taken to use what this one used, would price the agreement above its
   * hard cap, the agreement is terminated now (requestor side, actor {@code system}), so the node
   * gets no task of that round.
   */
  @Override
  public List<Notice> meter(RoundSummary round) {
    String job = round.jobId().value();
    return db.transact("bill round " + round.round() + " of job " + job, () -> {
      if (!store.hasDemand(job)) return List.<Notice>of();
      var byNode = new LinkedHashMap<String, AgreementRow>();
      for (AgreementRow a : store.agreementsOfJob(job)) {
        if (a.state() == AgreementState.APPROVED) byNode.putIfAbsent(a.nodeId(), a);
      }
      var notices = new ArrayList<Notice>();
      var billed = new ArrayList<String>();
      for (Map.Entry<NodeId, Long> c : round.contributions().entrySet()) {
        AgreementRow a = byNode.get(c.getKey().value());
        if (a == null) continue; // its agreement ended during the round: nothing to bill under
        ResourceUsage resources = round.resources().getOrDefault(c.getKey(), ResourceUsage.NONE);
        store.insertUsage(a.id(), round.round(), a.nodeId(), c.getValue(), resources.cpuMicros(), resources.bytesMoved(), clock.instant());
        PriceModel price = pricing(a);
        MarketStore.Metered used = store.usage(a.id());
        Money due = price.price(used.counters());
        Money total = due.compareTo(a.hardCap()) > 0 ? a.hardCap() : due;
        List<DocumentRow> docs = store.documents(a.id());
        try {
          AgreementPayments.Issued issued = payments(a, docs, allocationOf(a)).issueDebitNote(total, Duration.ofSeconds(DEFAULT_ACCEPT_WITHIN_SECONDS));
          DocumentRow note = insert(a, docs.size(), DEBIT_NOTE, new Issued(issued.note(), issued.warning().orElse(null)), "system",
              Map.of("round", Integer.toString(round.round()), "examplesEpochs", Long.toString(used.examplesEpochs()),
                  "cpuSeconds", Long.toString(used.counters().get(UsageCounter.CPU_SECONDS)), "bytes", Long.toString(used.bytesMoved())));
          billed.add(a.nodeId() + " " + total + " (" + note.id() + ")");
          issued.warning().ifPresent(w -> notices.add(new Notice("soft_cap", "round " + round.round() + ": node " + a.nodeId() + ": " + w)));
        } catch (FedGridException e) {
          notices.add(new Notice("billing_refused", "round " + round.round() + ": no debit note for node " + a.nodeId() + " under " + a.id() + ": " + e.getMessage()));
        }
        Money next = price.price(used.plus(c.getValue(), resources.cpuMicros(), resources.bytesMoved()).counters());
        if (next.compareTo(a.hardCap()) > 0) {
          String reason = "hard cap: " + (due.compareTo(a.hardCap()) > 0 ? "usage priced at " + due + ", billed at the hard cap " + a.hardCap()
              : "another round like round " + round.round() + " would bring the total to " + next + ", above the hard cap " + a.hardCap());
          terminate(a, Party.REQUESTOR, reason);
          notices.add(new Notice("hard_cap", "node " + a.nodeId() + " stopped after round " + round.round() + ": agreement " + a.id() + " terminated, " + reason));
        }
      }
      if (!billed.isEmpty()) {
        notices.addFirst(new Notice("debit_notes", "round " + round.round() + " billed, cumulative totals: " + String.join(", ", billed)));
      }
      for (Overdue o : terminateOverdue(Optional.of(job))) {
        notices.add(new Notice("debit_note_overdue", "node " + o.node() + " stopped after round " + round.round() + ": agreement " + o.agreement()
            + " terminated, " + o.reason()));
      }
      return List.copyOf(notices);
    });
  }

  /**
   * Closes the billing of a market job that ended: its APPROVED agreements are terminated (requestor
   * side, actor {@code system}) and every agreement with metered usage gets its invoice, the price of
   * all its usage capped at the hard cap, unless one was issued already. Agreements never used get
   * no invoice.
   */
  @Override
  public List<Notice> jobEnded(JobId job, String how) {
    return db.transact("invoice job " + job, () -> {
      if (!store.hasDemand(job.value())) return List.<Notice>of();
      var notices = new ArrayList<Notice>();
      var invoiced = new ArrayList<String>();
      for (AgreementRow a : store.agreementsOfJob(job.value())) {
        if (a.state() == AgreementState.APPROVED) a = terminate(a, Party.REQUESTOR, "job " + job + " " + how);
        if (a.state() != AgreementState.TERMINATED) continue;
        MarketStore.Metered used = store.usage(a.id());
        List<DocumentRow> docs = store.documents(a.id());
        boolean hasInvoice = docs.stream().anyMatch(d -> d.kind().equals(INVOICE) && d.status() != DocumentStatus.REJECTED && d.status() != DocumentStatus.CANCELLED);
        if (used.rounds() + used.commands() == 0 || hasInvoice) continue;
        Money due = pricing(a).price(used.counters());
        Money total = due.compareTo(a.hardCap()) > 0 ? a.hardCap() : due;
        String justification = "metered by the gateway over " + used.rounds() + " round(s) and " + used.commands() + " activity command(s): "
            + used.examplesEpochs() + " examples × epochs, "
            + used.counters().get(UsageCounter.CPU_SECONDS) + " CPU seconds, " + used.bytesMoved() + " bytes moved";
        try {
          PaymentDocument.Invoice invoice = payments(a, docs, allocationOf(a)).issueInvoice(total, justification);
          insert(a, docs.size(), INVOICE, new Issued(invoice, null), "system", Map.of("examplesEpochs", Long.toString(used.examplesEpochs())));
          invoiced.add(a.nodeId() + " " + total + " (" + invoice.id() + ")");
        } catch (FedGridException e) {
          notices.add(new Notice("billing_refused", "no invoice for node " + a.nodeId() + " under " + a.id() + ": " + e.getMessage()));
        }
      }
      if (!invoiced.isEmpty()) notices.addFirst(new Notice("invoices", "invoiced: " + String.join(", ", invoiced)));
      return List.copyOf(notices);
    });
  }

  // ---- activities (called by Activities inside its transaction) ----

  /**
   * Why an activity command must not start, checked before each command as before each round;
   * empty when it may. First the debit note deadlines (docs/market.md): an overdue note terminates
   * the agreement here, so a requestor who stops accepting notes gets no further command run, even
   * when the agreement is used only for activities. Then the hard cap: the agreement's usage so far
   * plus the command's expected usage must not price above it.
   */
  Optional<String> refusesCommand(String agreementId, long examplesEpochs, long cpuMicros, long bytesMoved, String command) throws SQLException {
    AgreementRow a = store.agreement(agreementId).orElseThrow();
    Optional<Overdue> overdue = terminateIfOverdue(a);
    if (overdue.isPresent()) return Optional.of(overdue.get().reason());
    Money next = pricing(a).price(store.usage(a.id()).plus(examplesEpochs, cpuMicros, bytesMoved).counters());
    if (next.compareTo(a.hardCap()) <= 0) return Optional.empty();
    return Optional.of("hard cap: " + command + " would bring the total of agreement " + a.id() + " to " + next + ", above the hard cap " + a.hardCap());
  }

  /** Terminates the agreement at its hard cap (requestor side, actor {@code system}) when it is still APPROVED. */
  void terminateAtHardCap(String agreementId, String reason) throws SQLException {
    AgreementRow a = store.agreement(agreementId).orElseThrow();
    if (a.state() == AgreementState.APPROVED) terminate(a, Party.REQUESTOR, reason);
  }

  /**
   * Bills a finished activity script that used resources, as a round is billed: a debit note (actor
   * {@code system}) with the agreement's cumulative price over rounds and activity commands, capped at
   * the hard cap. Returns what happened, for the script's audit event: the note and its total, the
   * soft cap warning, or why the rules refused the note (nothing is issued then).
   */
  Map<String, String> billActivity(String agreementId, String activityId, String batchId) throws SQLException {
    AgreementRow a = store.agreement(agreementId).orElseThrow();
    MarketStore.Metered used = store.usage(a.id());
    Money due = pricing(a).price(used.counters());
    Money total = due.compareTo(a.hardCap()) > 0 ? a.hardCap() : due;
    List<DocumentRow> docs = store.documents(a.id());
    var out = new LinkedHashMap<String, String>();
    try {
      AgreementPayments.Issued issued = payments(a, docs, allocationOf(a)).issueDebitNote(total, Duration.ofSeconds(DEFAULT_ACCEPT_WITHIN_SECONDS));
      DocumentRow note = insert(a, docs.size(), DEBIT_NOTE, new Issued(issued.note(), issued.warning().orElse(null)), "system",
          Map.of("activity", activityId, "batch", batchId, "examplesEpochs", Long.toString(used.examplesEpochs()),
              "cpuSeconds", Long.toString(used.counters().get(UsageCounter.CPU_SECONDS)), "bytes", Long.toString(used.bytesMoved())));
      out.put("debitNote", note.id());
      out.put("total", total.toString());
      issued.warning().ifPresent(w -> out.put("softCap", w));
    } catch (FedGridException e) {
      out.put("billingRefused", e.getMessage());
    }
    return out;
  }

  /** Terminates an APPROVED agreement on {@code side}'s behalf (actor {@code system}); returns its new row. */
  private AgreementRow terminate(AgreementRow row, Party side, String reason) throws SQLException {
    Agreement after = Agreements.transition(agreement(row), AgreementEvent.TERMINATE, side, reason, clock.instant());
    record(row, after, "system");
    audit.append("system", "agreement.terminated", row.id(), Map.of("from", AgreementState.APPROVED.name(), "to", after.state().name(), "reason", reason));
    return store.agreement(row.id()).orElseThrow();
  }

  /** The price model of an agreement: its offer's, as agreed. */
  private PriceModel pricing(AgreementRow row) throws SQLException {
    return MarketJson.offer(store.proposal(row.proposalId()).orElseThrow().offerTerms()).pricing();
  }

  // ---- payment deadlines ----

  /** An agreement the gateway terminated because a debit note went unaccepted past its deadline. */
  private record Overdue(String agreement, String node, String note, String reason) {}

  /**
   * Terminates, each in its own transaction, every APPROVED agreement with an overdue debit note
   * (docs/market.md, "Debit note deadlines"); returns their ids. Runs before the agreement and
   * document reads and actions, as the agreements' expiry does; the scheduler's read of a job's
   * approved nodes and the billing of each round apply it to that job.
   */
  public List<String> enforceDeadlines() {
    List<String> late = db.transact("find agreements with late debit notes", () -> store.agreementsWithLateNotes(Optional.empty(), clock.instant()));
    var terminated = new ArrayList<String>();
    for (String id : late) {
      db.transact("enforce the debit note deadlines of agreement " + id, () -> {
        AgreementRow row = store.agreement(id).orElseThrow();
        terminateIfOverdue(row).ifPresent(o -> terminated.add(o.agreement()));
        return null;
      });
    }
    return List.copyOf(terminated);
  }

  /** The overdue rule for the APPROVED agreements of {@code job} (every job when empty), in the caller's transaction. */
  private List<Overdue> terminateOverdue(Optional<String> job) throws SQLException {
    var out = new ArrayList<Overdue>();
    for (String id : store.agreementsWithLateNotes(job, clock.instant())) {
      terminateIfOverdue(store.agreement(id).orElseThrow()).ifPresent(out::add);
    }
    return out;
  }

  /**
   * When the APPROVED agreement has an overdue debit note ({@link AgreementPayments#overdue()}),
   * terminates it on the provider's behalf (actor {@code system}, audited {@code debit_note.overdue}
   * and {@code agreement.terminated}), so its node gets no further task of the job. The note keeps
   * its status and cannot be accepted any more; its total stays due in the invoice.
   */
  private Optional<Overdue> terminateIfOverdue(AgreementRow row) throws SQLException {
    if (row.state() != AgreementState.APPROVED) return Optional.empty();
    Optional<PaymentDocument.DebitNote> late = payments(row, store.documents(row.id()), allocationOf(row)).overdue();
    if (late.isEmpty()) return Optional.empty();
    PaymentDocument.DebitNote note = late.get();
    String reason = "debit note " + note.id() + " of " + note.amount() + " was not accepted by its deadline " + note.acceptanceDeadline()
        + "; its total stays due in the invoice";
    audit.append("system", "debit_note.overdue", note.id().value(), Map.of(
        "agreement", row.id(), "amount", note.amount().toString(), "acceptanceDeadline", note.acceptanceDeadline().toString()));
    terminate(row, Party.PROVIDER, reason);
    return Optional.of(new Overdue(row.id(), row.nodeId(), note.id().value(), reason));
  }

  /**
   * The requestor accepts a debit note or invoice: the part of its amount not yet accepted is paid
   * from the job's allocation to the node's account through the payment platform, and the document
   * is then {@code SETTLED}, all in one transaction.
   */
  public DocumentView accept(Principal caller, String kind, String id) {
    return db.transact("accept " + id, () -> {
      DocumentRow doc = visibleDocument(caller, kind, id);
      AgreementRow row = store.agreement(doc.agreementId()).orElseThrow();
      requireRequestor(caller, row.requestor(), "accept " + label(kind) + " " + id);
      Optional<AllocationRow> allocationRow = store.activeAllocation(row.jobId());
      Allocation allocation = allocationOf(row);
      Money spentBefore = allocation.spent();
      AgreementPayments payments = payments(row, store.documents(row.id()), allocation);
      payments.accept(DocumentId.of(id), Party.REQUESTOR);
      Money paid = allocation.spent().minus(spentBefore);
      String transfer = null;
      audit.append(caller.name(), kind + ".accepted", id, Map.of("agreement", row.id(), "amount", doc.amount().toString(), "paid", paid.toString()));
      if (!paid.isZero()) {
        AllocationRow a = allocationRow.orElseThrow();
        AccountId payee = AccountId.node(row.nodeId());
        ledger.open(payee);
        Transfer t = ledger.settle(DocumentId.of(id), AccountId.of(a.account()), payee, paid);
        transfer = t.id();
        store.updateAllocation(new AllocationRow(a.id(), a.jobId(), a.owner(), a.account(), a.total(), allocation.spent(), a.state(), a.createdAt(), a.releasedAt()));
      }
      PaymentDocument settled = payments.settle(DocumentId.of(id));
      store.updateDocument(id, settled.status(), "", transfer, clock.instant());
      audit.append("system", "payment.settled", id, transfer == null
          ? Map.of("agreement", row.id(), "paid", "0")
          : Map.of("agreement", row.id(), "paid", paid.toString(), "transfer", transfer, "to", AccountId.node(row.nodeId()).value()));
      return view(store.document(id).orElseThrow(), null);
    });
  }

  /** The requestor rejects a debit note or invoice, with a reason; an accepted one cannot be. */
  public DocumentView rejectDocument(Principal caller, String kind, String id, String reason) {
    return db.transact("reject " + id, () -> {
      DocumentRow doc = visibleDocument(caller, kind, id);
      AgreementRow row = store.agreement(doc.agreementId()).orElseThrow();
      requireRequestor(caller, row.requestor(), "reject " + label(kind) + " " + id);
      PaymentDocument d = payments(row, store.documents(row.id()), allocationOf(row)).reject(DocumentId.of(id), Party.REQUESTOR, reason);
      store.updateDocument(id, d.status(), d.reason(), null, clock.instant());
      audit.append(caller.name(), kind + ".rejected", id, Map.of("agreement", row.id(), "reason", d.reason()));
      return view(store.document(id).orElseThrow(), null);
    });
  }

  /** The provider side withdraws a debit note or invoice not yet accepted or rejected. */
  public DocumentView cancelDocument(Principal caller, String kind, String id) {
    caller.require(Permission.MANAGE_INFRASTRUCTURE, "cancel " + label(kind) + "s");
    return db.transact("cancel " + id, () -> {
      DocumentRow doc = visibleDocument(caller, kind, id);
      AgreementRow row = store.agreement(doc.agreementId()).orElseThrow();
      PaymentDocument d = payments(row, store.documents(row.id()), allocationOf(row)).cancel(DocumentId.of(id), Party.PROVIDER);
      store.updateDocument(id, d.status(), "", null, clock.instant());
      audit.append(caller.name(), kind + ".cancelled", id, Map.of("agreement", row.id()));
      return view(store.document(id).orElseThrow(), null);
    });
  }

  /**
   * Debit notes or invoices the caller may see; those of the caller's own agreements still ISSUED
   * are delivered by this read and come back RECEIVED.
   */
  public Page<DocumentView> documents(Principal caller, String kind, Optional<String> agreement, String cursor, int limit) {
    enforceDeadlines();
    Optional<String> requestor = seesAll(caller) ? Optional.empty() : Optional.of(caller.name());
    return db.transact("list " + label(kind) + "s", () -> {
      List<DocumentRow> rows = store.documents(kind, requestor, agreement, cursor, limit);
      var items = new ArrayList<DocumentView>(rows.size());
      for (DocumentRow d : rows) items.add(view(deliver(caller, d), null));
      return page(items, rows, limit, DocumentRow::id);
    });
  }

  /** One debit note or invoice; the requestor's read delivers it (ISSUED becomes RECEIVED). */
  public DocumentView document(Principal caller, String kind, String id) {
    enforceDeadlines();
    return db.transact("read " + id, () -> view(deliver(caller, visibleDocument(caller, kind, id)), null));
  }

  /**
   * Marks an ISSUED document RECEIVED when its requestor is the one reading it: that read is its
   * delivery (party SYSTEM, audited {@code <kind>.received} with the reader as actor). Others'
   * reads, the provider side's included, leave it as it is.
   */
  private DocumentRow deliver(Principal caller, DocumentRow doc) throws SQLException {
    if (doc.status() != DocumentStatus.ISSUED) return doc;
    AgreementRow row = store.agreement(doc.agreementId()).orElseThrow();
    if (!row.requestor().equals(caller.name())) return doc;
    PaymentDocument d = payments(row, store.documents(row.id()), allocationOf(row)).receive(DocumentId.of(doc.id()));
    store.updateDocument(doc.id(), d.status(), "", null, clock.instant());
    audit.append(caller.name(), doc.kind() + ".received", doc.id(), Map.of("agreement", row.id()));
    return store.document(doc.id()).orElseThrow();
  }

  private AgreementPayments payments(AgreementRow row, List<DocumentRow> docs, Allocation allocation) {
    List<PaymentDocument> restored = docs.stream().map(Market::document).toList();
    return AgreementPayments.restore(AgreementId.of(row.id()), allocation, new PaymentCaps(row.softCap(), row.hardCap()), clock, restored);
  }

  /** The job's active allocation as the domain sees it, or an empty one when it has none. */
  private Allocation allocationOf(AgreementRow row) throws SQLException {
    return store.activeAllocation(row.jobId()).map(a -> new Allocation(a.jobId(), a.total(), a.spent())).orElse(new Allocation(row.jobId(), Money.ZERO));
  }

  // ---- ledger ----

  /** The ledger accounts the caller may see: their own, nodes' for the provider side, all with {@code can_edit_settings}. */
  public List<AccountView> accounts(Principal caller) {
    List<AccountView> out = new ArrayList<>();
    boolean own = false;
    for (Account a : ledger.accounts()) {
      if (!seesAccount(caller, a.id())) continue;
      own |= a.id().equals(AccountId.user(caller.name()));
      out.add(view(a));
    }
    if (!own) out.addFirst(new AccountView(AccountId.user(caller.name()).value(), "0", null));
    return out;
  }

  /** One account; one's own is shown with a balance of 0 before anything was paid into it. */
  public AccountView account(Principal caller, String id) {
    AccountId account = AccountId.of(id);
    if (!seesAccount(caller, account)) throw accountNotFound(account);
    Optional<Account> a = ledger.account(account);
    if (a.isEmpty() && account.equals(AccountId.user(caller.name()))) return new AccountView(account.value(), "0", null);
    return view(a.orElseThrow(() -> accountNotFound(account)));
  }

  /** Transfers of {@code account} (one's own when not given; every transfer with {@code can_edit_settings}). */
  public List<TransferView> transfers(Principal caller, Optional<String> account, int limit) {
    Optional<AccountId> of = account.map(AccountId::of);
    if (of.isEmpty() && !caller.has(Permission.EDIT_SETTINGS)) of = Optional.of(AccountId.user(caller.name()));
    if (of.isPresent() && !seesAccount(caller, of.get())) throw accountNotFound(of.get());
    return ledger.transfers(of, limit).stream().map(Market::view).toList();
  }

  /**
   * An administrator funds an account of the internal ledger, minting from the system account;
   * idempotent by {@code reference} (generated when not given), audited as {@code ledger.deposited}.
   */
  public TransferView deposit(Principal caller, String account, String amount, Optional<String> reference, String memo) {
    caller.require(Permission.EDIT_SETTINGS, "deposit into ledger accounts");
    if (account == null) throw MarketJson.field("account", "'account' is required: user:<name> or node:<node id>");
    AccountId to = AccountId.of(account);
    if (!to.kind().equals("user") && !to.kind().equals("node")) {
      throw new InvalidRequestException("INVALID_ACCOUNT", "deposits go to user:<name> or node:<node id> accounts, not " + to, Map.of("field", "account"));
    }
    Money total = MarketJson.money(amount, "amount");
    String ref = reference.filter(r -> !r.isBlank()).orElse("deposit:" + MarketIds.next("dep"));
    var request = new TransferRequest(ref, AccountId.SYSTEM, to, total, memo == null || memo.isBlank() ? "deposit by " + caller.name() : memo);
    return db.transact("deposit " + total + " into " + to, () -> {
      boolean retry = ledger.transfer(ref).isPresent();
      ledger.open(AccountId.SYSTEM);
      ledger.open(to);
      Transfer t = ledger.transfer(request);
      if (!retry) audit.append(caller.name(), "ledger.deposited", to.value(), Map.of("amount", total.toString(), "reference", ref, "transfer", t.id()));
      return view(t);
    });
  }

  private boolean seesAccount(Principal caller, AccountId id) {
    if (caller.has(Permission.EDIT_SETTINGS) || id.equals(AccountId.user(caller.name()))) return true;
    if (id.kind().equals("node")) return caller.has(Permission.MANAGE_INFRASTRUCTURE);
    if (id.kind().equals("allocation")) {
      return db.transact("read allocation " + id.owner(), () -> store.allocation(id.owner()).map(a -> a.owner().equals(caller.name())).orElse(false));
    }
    return false;
  }

  private static NotFoundException accountNotFound(AccountId id) {
    return new NotFoundException("ACCOUNT_NOT_FOUND", "no ledger account " + id + " that you may see; see `fedgrid ledger list`", Map.of("account", id.value()));
  }

  // ---- access ----

  /** Whether the caller sees every demand, proposal, agreement and document: the provider side and settings. */
  private static boolean seesAll(Principal caller) {
    return caller.has(Permission.MANAGE_INFRASTRUCTURE) || caller.has(Permission.EDIT_SETTINGS);
  }

  /**
   * The side the caller takes on a demand of {@code owner}: the requestor when they own its job,
   * else the provider side with {@code can_manage_infrastructure}.
   */
  private static Party party(Principal caller, String owner, String action) {
    if (caller.name().equals(owner)) return Party.REQUESTOR;
    if (caller.has(Permission.MANAGE_INFRASTRUCTURE)) return Party.PROVIDER;
    throw notRequestor(caller, owner, action);
  }

  private static void requireRequestor(Principal caller, String owner, String action) {
    if (!caller.name().equals(owner)) throw notRequestor(caller, owner, action);
  }

  private static PermissionDeniedException notRequestor(Principal caller, String owner, String action) {
    return new PermissionDeniedException(
        "NOT_JOB_OWNER", "user " + caller.name() + " may not " + action + ": only the job's owner " + owner + " acts as its requestor", Map.of("owner", owner));
  }

  /** A job of the caller's; someone else's job is 403 when the caller may see it, else 404. */
  private Job ownJob(Principal caller, String jobId, String action) {
    JobId id = JobId.of(jobId);
    Job job = state.job(id).orElseThrow(() -> jobNotFound(id));
    if (!job.owner().equals(caller.name())) {
      if (caller.has(Permission.TRIAGE_REQUESTS)) throw notRequestor(caller, job.owner(), action + " job " + id);
      throw jobNotFound(id);
    }
    return job;
  }

  private static NotFoundException jobNotFound(JobId id) {
    return new NotFoundException("JOB_NOT_FOUND", "no job has id " + id + "; see `fedgrid job list`", Map.of("job", id.value()));
  }

  private OfferRow loadOffer(String id) {
    MarketIds.check(MarketIds.OFFER, id);
    return db.transact("read offer " + id, () -> store.offer(id))
        .orElseThrow(() -> new NotFoundException("OFFER_NOT_FOUND", "no offer has id " + id + "; see `fedgrid offer list`", Map.of("offer", id)));
  }

  private DemandRow visibleDemand(Principal caller, String id) {
    MarketIds.check(MarketIds.DEMAND, id);
    return db.transact("read demand " + id, () -> store.demand(id))
        .filter(d -> seesAll(caller) || d.owner().equals(caller.name()))
        .orElseThrow(() -> new NotFoundException("DEMAND_NOT_FOUND", "no demand has id " + id + "; see `fedgrid demand list`", Map.of("demand", id)));
  }

  private ProposalRow visibleProposal(Principal caller, String id) throws SQLException {
    ProposalId.of(id);
    Optional<ProposalRow> row = store.proposal(id);
    if (row.isPresent() && (seesAll(caller) || store.demand(row.get().demandId()).orElseThrow().owner().equals(caller.name()))) return row.get();
    throw new NotFoundException("PROPOSAL_NOT_FOUND", "no proposal has id " + id + "; see `fedgrid agreement proposals`", Map.of("proposal", id));
  }

  private AgreementRow visibleAgreement(Principal caller, String id) {
    AgreementId.of(id);
    return db.transact("read agreement " + id, () -> store.agreement(id))
        .filter(a -> seesAll(caller) || a.requestor().equals(caller.name()))
        .orElseThrow(() -> new NotFoundException("AGREEMENT_NOT_FOUND", "no agreement has id " + id + "; see `fedgrid agreement list`", Map.of("agreement", id)));
  }

  private AllocationRow visibleAllocation(Principal caller, String id) throws SQLException {
    MarketIds.check(MarketIds.ALLOCATION, id);
    return store.allocation(id)
        .filter(a -> caller.has(Permission.EDIT_SETTINGS) || a.owner().equals(caller.name()))
        .orElseThrow(() -> new NotFoundException("ALLOCATION_NOT_FOUND", "no allocation has id " + id + "; see `fedgrid allocation list`", Map.of("allocation", id)));
  }

  private DocumentRow visibleDocument(Principal caller, String kind, String id) throws SQLException {
    DocumentId.of(id);
    Optional<DocumentRow> doc = store.document(id).filter(d -> d.kind().equals(kind));
    if (doc.isPresent()) {
      AgreementRow a = store.agreement(doc.get().agreementId()).orElseThrow();
      if (seesAll(caller) || a.requestor().equals(caller.name())) return doc.get();
    }
    String code = kind.equals(DEBIT_NOTE) ? "DEBIT_NOTE_NOT_FOUND" : "INVOICE_NOT_FOUND";
    throw new NotFoundException(code, "no " + label(kind) + " has id " + id + "; see `fedgrid " + label(kind).replace(' ', '-') + " list`", Map.of("document", id));
  }

  private static String label(String kind) {
    return kind.equals(DEBIT_NOTE) ? "debit note" : "invoice";
  }

  private boolean latest(ProposalRow r) throws SQLException {
    List<ProposalRow> chain = store.negotiation(r.negotiationId());
    return chain.getLast().id().equals(r.id()) && !store.negotiationClosed(r.negotiationId());
  }

  private static <T> T or(T value, T otherwise) {
    return value != null ? value : otherwise;
  }

  // ---- domain values and views ----

  private static Proposal proposal(ProposalRow r) {
    return new Proposal(ProposalId.of(r.id()), r.previousId() == null ? null : ProposalId.of(r.previousId()), r.issuer(), MarketJson.offer(r.offerTerms()),
        MarketJson.demand(r.demandTerms()), r.estimate(), r.createdAt());
  }

  private Agreement agreement(AgreementRow row) throws SQLException {
    List<Agreement.Transition> history = store.history(row.id()).stream()
        .map(t -> new Agreement.Transition(t.from(), t.to(), t.event(), t.party(), t.at(), t.reason())).toList();
    return new Agreement(AgreementId.of(row.id()), proposal(store.proposal(row.proposalId()).orElseThrow()), row.state(), row.expiresAt(), history);
  }

  private static PaymentDocument document(DocumentRow d) {
    return d.kind().equals(DEBIT_NOTE)
        ? new PaymentDocument.DebitNote(DocumentId.of(d.id()), AgreementId.of(d.agreementId()), d.amount(), d.issuedAt(), d.acceptanceDeadline(), d.status(), d.reason())
        : new PaymentDocument.Invoice(DocumentId.of(d.id()), AgreementId.of(d.agreementId()), d.amount(), d.justification(), d.issuedAt(), d.status(), d.reason());
  }

  private static <R, V> Page<V> page(List<V> items, List<R> rows, int limit, Function<R, String> id) {
    return new Page<>(items, rows.size() == limit && !rows.isEmpty() ? id.apply(rows.getLast()) : null);
  }

  private static OfferView view(OfferRow r) {
    return new OfferView(r.id(), r.state(), r.terms(), r.publishedBy(), r.publishedAt(), r.withdrawnAt());
  }

  private static DemandView view(DemandRow r) {
    return new DemandView(r.id(), r.jobId(), r.owner(), r.state(), r.terms(), r.createdAt(), r.withdrawnAt());
  }

  private static ProposalView view(ProposalRow r, boolean latest) {
    return new ProposalView(r.id(), r.negotiationId(), r.previousId(), r.offerId(), r.demandId(), r.issuer().name(), r.issuedBy(), r.offerTerms(),
        r.demandTerms(), r.estimate().toString(), latest, r.createdAt());
  }

  private AgreementView view(AgreementRow r) throws SQLException {
    return view(r, store.proposal(r.proposalId()).orElseThrow(), store.history(r.id()));
  }

  private static AgreementView view(AgreementRow r, ProposalRow terms, List<TransitionRow> history) {
    return new AgreementView(r.id(), r.proposalId(), r.offerId(), r.demandId(), r.jobId(), r.nodeId(), r.requestor(), r.state().name(), r.expiresAt(),
        r.softCap().toString(), r.hardCap().toString(), terms.estimate().toString(), r.createdAt(),
        history.stream().map(t -> new TransitionView(t.from().name(), t.to().name(), t.event().name(), t.party().name(), t.actor(), t.at(), t.reason())).toList());
  }

  private static AllocationView view(AllocationRow r) {
    return new AllocationView(r.id(), r.jobId(), r.owner(), r.account(), r.total().toString(), r.spent().toString(), r.remaining().toString(), r.state(),
        r.createdAt(), r.releasedAt());
  }

  private static DocumentView view(DocumentRow d, String warning) {
    return new DocumentView(d.id(), d.kind(), d.agreementId(), d.amount().toString(), d.status().name(), d.issuedAt(), d.acceptanceDeadline(), d.justification(),
        d.reason(), d.transferId(), warning);
  }

  private static AccountView view(Account a) {
    BigDecimal b = a.balance();
    return new AccountView(a.id().value(), b.signum() == 0 ? "0" : b.stripTrailingZeros().toPlainString(), a.createdAt());
  }

  private static TransferView view(Transfer t) {
    return new TransferView(t.id(), t.reference(), t.from().value(), t.to().value(), t.amount().toString(), t.memo(), t.at());
  }
}
