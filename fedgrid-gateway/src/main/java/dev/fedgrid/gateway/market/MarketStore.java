package dev.fedgrid.gateway.market;

import static dev.fedgrid.gateway.state.SqlDatabase.all;
import static dev.fedgrid.gateway.state.SqlDatabase.first;
import static dev.fedgrid.gateway.state.SqlDatabase.instant;
import static dev.fedgrid.gateway.state.SqlDatabase.instantOrNull;
import static dev.fedgrid.gateway.state.SqlDatabase.setNullable;
import static dev.fedgrid.gateway.state.SqlDatabase.text;

import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.market.AgreementEvent;
import dev.fedgrid.market.AgreementState;
import dev.fedgrid.market.DocumentStatus;
import dev.fedgrid.market.Money;
import dev.fedgrid.market.Party;
import dev.fedgrid.market.Usage;
import dev.fedgrid.market.UsageCounter;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The market's rows in the gateway's database ({@code market_*} of V7): offers, demands, proposals,
 * agreements with their transitions, allocations and payment documents. Only reads and writes rows;
 * the rules are applied by {@link Market} with fedgrid-market's types, inside the transaction that
 * writes them. Every method must run inside {@link SqlDatabase#transact}.
 *
 * <p>Thread-safe as the database is.
 */
final class MarketStore {
  private final SqlDatabase db;

  MarketStore(SqlDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  // ---- rows ----

  record OfferRow(String id, OfferTerms terms, String state, String publishedBy, Instant publishedAt, Instant withdrawnAt) {}

  record DemandRow(String id, String jobId, String owner, DemandTerms terms, String state, Instant createdAt, Instant withdrawnAt) {}

  record ProposalRow(
      String id, String negotiationId, int position, String previousId, String offerId, String demandId, Party issuer, String issuedBy,
      OfferTerms offerTerms, DemandTerms demandTerms, Money estimate, Instant createdAt) {}

  record AgreementRow(
      String id, String proposalId, String offerId, String demandId, String jobId, String nodeId, String requestor, AgreementState state,
      Instant expiresAt, Money softCap, Money hardCap, Instant createdAt) {}

  record TransitionRow(AgreementState from, AgreementState to, AgreementEvent event, Party party, String actor, Instant at, String reason) {}

  record AllocationRow(String id, String jobId, String owner, String account, Money total, Money spent, String state, Instant createdAt, Instant releasedAt) {
    Money remaining() {
      return total.minus(spent);
    }
  }

  /** kind: {@code debit_note} or {@code invoice}. */
  record DocumentRow(
      String id, String agreementId, int position, String kind, Money amount, DocumentStatus status, Instant issuedAt, Instant acceptanceDeadline,
      String justification, String reason, String transferId, Instant updatedAt) {}

  // ---- offers ----

  void insertOffer(OfferRow o) throws SQLException {
    PreparedStatement s = db.statement(
        "INSERT INTO market_offers (id, node_id, terms, state, published_by, published_at, withdrawn_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, o.id());
    s.setString(2, o.terms().node());
    s.setString(3, SqlDatabase.json(o.terms()));
    s.setString(4, o.state());
    s.setString(5, o.publishedBy());
    s.setString(6, text(o.publishedAt()));
    setNullable(s, 7, o.withdrawnAt() == null ? null : text(o.withdrawnAt()));
    s.executeUpdate();
  }

  void withdrawOffer(String id, Instant at) throws SQLException {
    PreparedStatement s = db.statement("UPDATE market_offers SET state = 'withdrawn', withdrawn_at = ? WHERE id = ?");
    s.setString(1, text(at));
    s.setString(2, id);
    s.executeUpdate();
  }

  Optional<OfferRow> offer(String id) throws SQLException {
    PreparedStatement s = db.statement("SELECT id, terms, state, published_by, published_at, withdrawn_at FROM market_offers WHERE id = ?");
    s.setString(1, id);
    return first(s, MarketStore::offerRow);
  }

  /** Offers after {@code cursor} in id order, in {@code state} when given. */
  List<OfferRow> offers(Optional<String> state, String cursor, int limit) throws SQLException {
    PreparedStatement s = db.statement(
        "SELECT id, terms, state, published_by, published_at, withdrawn_at FROM market_offers WHERE id > ? AND (CAST(? AS TEXT) IS NULL OR state = ?) ORDER BY id LIMIT ?");
    s.setString(1, cursor);
    setNullable(s, 2, state.orElse(null));
    setNullable(s, 3, state.orElse(null));
    s.setInt(4, limit);
    return all(s, MarketStore::offerRow);
  }

  private static OfferRow offerRow(ResultSet r) throws SQLException {
    return new OfferRow(
        r.getString(1), SqlDatabase.parse(r.getString(2), OfferTerms.class), r.getString(3), r.getString(4), instant(r.getString(5)), instantOrNull(r.getString(6)));
  }

  // ---- demands ----

  void insertDemand(DemandRow d) throws SQLException {
    PreparedStatement s = db.statement(
        "INSERT INTO market_demands (id, job_id, owner, terms, state, created_at, withdrawn_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, d.id());
    s.setString(2, d.jobId());
    s.setString(3, d.owner());
    s.setString(4, SqlDatabase.json(d.terms()));
    s.setString(5, d.state());
    s.setString(6, text(d.createdAt()));
    setNullable(s, 7, d.withdrawnAt() == null ? null : text(d.withdrawnAt()));
    s.executeUpdate();
  }

  void withdrawDemand(String id, Instant at) throws SQLException {
    PreparedStatement s = db.statement("UPDATE market_demands SET state = 'withdrawn', withdrawn_at = ? WHERE id = ?");
    s.setString(1, text(at));
    s.setString(2, id);
    s.executeUpdate();
  }

  Optional<DemandRow> demand(String id) throws SQLException {
    PreparedStatement s = db.statement("SELECT id, job_id, owner, terms, state, created_at, withdrawn_at FROM market_demands WHERE id = ?");
    s.setString(1, id);
    return first(s, MarketStore::demandRow);
  }

  /** Demands after {@code cursor}, of {@code owner} when given. */
  List<DemandRow> demands(Optional<String> owner, String cursor, int limit) throws SQLException {
    PreparedStatement s = db.statement(
        "SELECT id, job_id, owner, terms, state, created_at, withdrawn_at FROM market_demands WHERE id > ? AND (CAST(? AS TEXT) IS NULL OR owner = ?) ORDER BY id LIMIT ?");
    s.setString(1, cursor);
    setNullable(s, 2, owner.orElse(null));
    setNullable(s, 3, owner.orElse(null));
    s.setInt(4, limit);
    return all(s, MarketStore::demandRow);
  }

  private static DemandRow demandRow(ResultSet r) throws SQLException {
    return new DemandRow(
        r.getString(1), r.getString(2), r.getString(3), SqlDatabase.parse(r.getString(4), DemandTerms.class), r.getString(5), instant(r.getString(6)),
        instantOrNull(r.getString(7)));
  }

  // ---- proposals ----

  private record ProposalTerms(OfferTerms offer, DemandTerms demand) {}

  private static final String PROPOSAL_COLUMNS =
      "p.id, p.negotiation_id, p.position, p.previous_id, p.offer_id, p.demand_id, p.issuer, p.issued_by, p.terms, p.estimate, p.created_at";

  void insertProposal(ProposalRow p) throws SQLException {
    PreparedStatement s = db.statement(
        "INSERT INTO market_proposals (id, negotiation_id, position, previous_id, offer_id, demand_id, issuer, issued_by, terms, estimate, created_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, p.id());
    s.setString(2, p.negotiationId());
    s.setInt(3, p.position());
    setNullable(s, 4, p.previousId());
    s.setString(5, p.offerId());
    s.setString(6, p.demandId());
    s.setString(7, p.issuer().name());
    s.setString(8, p.issuedBy());
    s.setString(9, SqlDatabase.json(new ProposalTerms(p.offerTerms(), p.demandTerms())));
    s.setString(10, p.estimate().amount().toPlainString());
    s.setString(11, text(p.createdAt()));
    s.executeUpdate();
  }

  Optional<ProposalRow> proposal(String id) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + PROPOSAL_COLUMNS + " FROM market_proposals p WHERE p.id = ?");
    s.setString(1, id);
    return first(s, MarketStore::proposalRow);
  }

  /** The whole chain of a negotiation, first to latest. */
  List<ProposalRow> negotiation(String negotiationId) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + PROPOSAL_COLUMNS + " FROM market_proposals p WHERE p.negotiation_id = ? ORDER BY p.position");
    s.setString(1, negotiationId);
    return all(s, MarketStore::proposalRow);
  }

  /** Proposals after {@code cursor}, on the demands of {@code owner} when given, of {@code demand} when given. */
  List<ProposalRow> proposals(Optional<String> owner, Optional<String> demand, String cursor, int limit) throws SQLException {
    PreparedStatement s = db.statement(
        "SELECT " + PROPOSAL_COLUMNS + " FROM market_proposals p JOIN market_demands d ON d.id = p.demand_id"
            + " WHERE p.id > ? AND (CAST(? AS TEXT) IS NULL OR d.owner = ?) AND (CAST(? AS TEXT) IS NULL OR p.demand_id = ?) ORDER BY p.id LIMIT ?");
    s.setString(1, cursor);
    setNullable(s, 2, owner.orElse(null));
    setNullable(s, 3, owner.orElse(null));
    setNullable(s, 4, demand.orElse(null));
    setNullable(s, 5, demand.orElse(null));
    s.setInt(6, limit);
    return all(s, MarketStore::proposalRow);
  }

  /** Whether a proposal of the negotiation already became an agreement. */
  boolean negotiationClosed(String negotiationId) throws SQLException {
    PreparedStatement s = db.statement(
        "SELECT COUNT(*) FROM market_agreements a JOIN market_proposals p ON p.id = a.proposal_id WHERE p.negotiation_id = ?");
    s.setString(1, negotiationId);
    return first(s, r -> r.getLong(1)).orElse(0L) > 0;
  }

  private static ProposalRow proposalRow(ResultSet r) throws SQLException {
    ProposalTerms t = SqlDatabase.parse(r.getString(9), ProposalTerms.class);
    return new ProposalRow(
        r.getString(1), r.getString(2), r.getInt(3), r.getString(4), r.getString(5), r.getString(6), Party.valueOf(r.getString(7)), r.getString(8),
        t.offer(), t.demand(), Money.of(r.getString(10)), instant(r.getString(11)));
  }

  // ---- agreements ----

  private static final String AGREEMENT_COLUMNS =
      "id, proposal_id, offer_id, demand_id, job_id, node_id, requestor, state, expires_at, soft_cap, hard_cap, created_at";

  void insertAgreement(AgreementRow a) throws SQLException {
    PreparedStatement s = db.statement("INSERT INTO market_agreements (" + AGREEMENT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, a.id());
    s.setString(2, a.proposalId());
    s.setString(3, a.offerId());
    s.setString(4, a.demandId());
    s.setString(5, a.jobId());
    s.setString(6, a.nodeId());
    s.setString(7, a.requestor());
    s.setString(8, a.state().name());
    s.setString(9, text(a.expiresAt()));
    s.setString(10, a.softCap().amount().toPlainString());
    s.setString(11, a.hardCap().amount().toPlainString());
    s.setString(12, text(a.createdAt()));
    s.executeUpdate();
  }

  void setAgreementState(String id, AgreementState state) throws SQLException {
    PreparedStatement s = db.statement("UPDATE market_agreements SET state = ? WHERE id = ?");
    s.setString(1, state.name());
    s.setString(2, id);
    s.executeUpdate();
  }

  Optional<AgreementRow> agreement(String id) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + AGREEMENT_COLUMNS + " FROM market_agreements WHERE id = ?");
    s.setString(1, id);
    return first(s, MarketStore::agreementRow);
  }

  /** Agreements after {@code cursor}, of {@code requestor} and {@code job} when given. */
  List<AgreementRow> agreements(Optional<String> requestor, Optional<String> job, String cursor, int limit) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + AGREEMENT_COLUMNS + " FROM market_agreements"
        + " WHERE id > ? AND (CAST(? AS TEXT) IS NULL OR requestor = ?) AND (CAST(? AS TEXT) IS NULL OR job_id = ?) ORDER BY id LIMIT ?");
    s.setString(1, cursor);
    setNullable(s, 2, requestor.orElse(null));
    setNullable(s, 3, requestor.orElse(null));
    setNullable(s, 4, job.orElse(null));
    setNullable(s, 5, job.orElse(null));
    s.setInt(6, limit);
    return all(s, MarketStore::agreementRow);
  }

  /** Every agreement of {@code jobId}, in id order. */
  List<AgreementRow> agreementsOfJob(String jobId) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + AGREEMENT_COLUMNS + " FROM market_agreements WHERE job_id = ? ORDER BY id");
    s.setString(1, jobId);
    return all(s, MarketStore::agreementRow);
  }

  /** Whether a demand (active or withdrawn) was ever published for {@code jobId}: it is then a market job. */
  boolean hasDemand(String jobId) throws SQLException {
    PreparedStatement s = db.statement("SELECT 1 FROM market_demands WHERE job_id = ? LIMIT 1");
    s.setString(1, jobId);
    return first(s, r -> true).isPresent();
  }

  /** Ids of agreements still open (PROPOSAL or PENDING) whose expiry is at or before {@code now}. */
  List<String> dueAgreements(Instant now) throws SQLException {
    PreparedStatement s = db.statement("SELECT id FROM market_agreements WHERE state IN ('PROPOSAL', 'PENDING') AND expires_at <= ? ORDER BY id");
    s.setString(1, text(now));
    return all(s, r -> r.getString(1));
  }

  /**
   * Ids of APPROVED agreements (of {@code jobId} when given) with a debit note still ISSUED or
   * RECEIVED whose acceptance deadline is before {@code now}: the candidates for the overdue rule.
   */
  List<String> agreementsWithLateNotes(Optional<String> jobId, Instant now) throws SQLException {
    PreparedStatement s = db.statement("SELECT DISTINCT a.id FROM market_agreements a JOIN market_documents d ON d.agreement_id = a.id"
        + " WHERE a.state = 'APPROVED' AND d.kind = 'debit_note' AND d.status IN ('ISSUED', 'RECEIVED') AND d.acceptance_deadline < ?"
        + " AND (CAST(? AS TEXT) IS NULL OR a.job_id = ?) ORDER BY a.id");
    s.setString(1, text(now));
    setNullable(s, 2, jobId.orElse(null));
    setNullable(s, 3, jobId.orElse(null));
    return all(s, r -> r.getString(1));
  }

  void appendTransition(String agreementId, int seq, TransitionRow t) throws SQLException {
    PreparedStatement s = db.statement(
        "INSERT INTO market_agreement_events (agreement_id, seq, from_state, to_state, event, party, actor, at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, agreementId);
    s.setInt(2, seq);
    s.setString(3, t.from().name());
    s.setString(4, t.to().name());
    s.setString(5, t.event().name());
    s.setString(6, t.party().name());
    s.setString(7, t.actor());
    s.setString(8, text(t.at()));
    s.setString(9, t.reason());
    s.executeUpdate();
  }

  List<TransitionRow> history(String agreementId) throws SQLException {
    PreparedStatement s = db.statement(
        "SELECT from_state, to_state, event, party, actor, at, reason FROM market_agreement_events WHERE agreement_id = ? ORDER BY seq");
    s.setString(1, agreementId);
    return all(s, r -> new TransitionRow(
        AgreementState.valueOf(r.getString(1)), AgreementState.valueOf(r.getString(2)), AgreementEvent.valueOf(r.getString(3)),
        Party.valueOf(r.getString(4)), r.getString(5), instant(r.getString(6)), r.getString(7)));
  }

  private static AgreementRow agreementRow(ResultSet r) throws SQLException {
    return new AgreementRow(
        r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6), r.getString(7),
        AgreementState.valueOf(r.getString(8)), instant(r.getString(9)), Money.of(r.getString(10)), Money.of(r.getString(11)), instant(r.getString(12)));
  }

  // ---- metering ----

  /**
   * An agreement's metered usage summed over the rounds it was metered in (V8, V9) and the
   * activity commands (V11).
   *
   * @param cpuMicros CPU time in microseconds
   * @param bytesMoved bytes moved over the fleet API
   * @param rounds job rounds metered
   * @param commands activity commands metered
   */
  record Metered(long examplesEpochs, long cpuMicros, long bytesMoved, int rounds, int commands) {
    static final Metered NONE = new Metered(0, 0, 0, 0, 0);

    /** This usage plus one more round of {@code examplesEpochs}, {@code cpuMicros} and {@code bytesMoved}. */
    Metered plus(long examplesEpochs, long cpuMicros, long bytesMoved) {
      return new Metered(this.examplesEpochs + examplesEpochs, this.cpuMicros + cpuMicros, this.bytesMoved + bytesMoved, rounds + 1, commands);
    }

    /**
     * The usage counters priced: examples × epochs, whole CPU seconds of the total (rounded down, so
     * a second not yet spent in full is not billed) and bytes moved.
     */
    Usage counters() {
      return Usage.NONE.with(UsageCounter.EXAMPLES_EPOCHS, examplesEpochs)
          .with(UsageCounter.CPU_SECONDS, cpuMicros / 1_000_000)
          .with(UsageCounter.BYTES, bytesMoved);
    }
  }

  void insertUsage(String agreementId, int round, String nodeId, long examplesEpochs, long cpuMicros, long bytesMoved, Instant at) throws SQLException {
    PreparedStatement s = db.statement(
        "INSERT INTO market_usage (agreement_id, round, node_id, examples_epochs, cpu_micros, bytes_moved, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, agreementId);
    s.setInt(2, round);
    s.setString(3, nodeId);
    s.setLong(4, examplesEpochs);
    s.setLong(5, cpuMicros);
    s.setLong(6, bytesMoved);
    s.setString(7, text(at));
    s.executeUpdate();
  }

  Metered usage(String agreementId) throws SQLException {
    // job rounds (V8, V9) and activity commands (V11): one usage, so the agreement's notes stay cumulative
    PreparedStatement s = db.statement("SELECT COALESCE(SUM(ee), 0), COALESCE(SUM(cpu), 0), COALESCE(SUM(b), 0), COALESCE(SUM(r), 0), COALESCE(SUM(c), 0) FROM ("
        + " SELECT examples_epochs AS ee, cpu_micros AS cpu, bytes_moved AS b, 1 AS r, 0 AS c FROM market_usage WHERE agreement_id = ?"
        + " UNION ALL SELECT examples_epochs, cpu_micros, bytes_moved, 0, 1 FROM market_activity_usage WHERE agreement_id = ?) u");
    s.setString(1, agreementId);
    s.setString(2, agreementId);
    return first(s, r -> new Metered(r.getLong(1), r.getLong(2), r.getLong(3), r.getInt(4), r.getInt(5))).orElse(Metered.NONE);
  }

  // ---- allocations ----

  private static final String ALLOCATION_COLUMNS = "id, job_id, owner, account_id, total, spent, state, created_at, released_at";

  void insertAllocation(AllocationRow a) throws SQLException {
    PreparedStatement s = db.statement("INSERT INTO market_allocations (" + ALLOCATION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, a.id());
    s.setString(2, a.jobId());
    s.setString(3, a.owner());
    s.setString(4, a.account());
    s.setString(5, a.total().amount().toPlainString());
    s.setString(6, a.spent().amount().toPlainString());
    s.setString(7, a.state());
    s.setString(8, text(a.createdAt()));
    setNullable(s, 9, a.releasedAt() == null ? null : text(a.releasedAt()));
    s.executeUpdate();
  }

  void updateAllocation(AllocationRow a) throws SQLException {
    PreparedStatement s = db.statement("UPDATE market_allocations SET spent = ?, state = ?, released_at = ? WHERE id = ?");
    s.setString(1, a.spent().amount().toPlainString());
    s.setString(2, a.state());
    setNullable(s, 3, a.releasedAt() == null ? null : text(a.releasedAt()));
    s.setString(4, a.id());
    s.executeUpdate();
  }

  Optional<AllocationRow> allocation(String id) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + ALLOCATION_COLUMNS + " FROM market_allocations WHERE id = ?");
    s.setString(1, id);
    return first(s, MarketStore::allocationRow);
  }

  /** The job's active allocation, if any. */
  Optional<AllocationRow> activeAllocation(String jobId) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + ALLOCATION_COLUMNS + " FROM market_allocations WHERE job_id = ? AND state = 'active'");
    s.setString(1, jobId);
    return first(s, MarketStore::allocationRow);
  }

  List<AllocationRow> allocations(Optional<String> owner, String cursor, int limit) throws SQLException {
    PreparedStatement s = db.statement(
        "SELECT " + ALLOCATION_COLUMNS + " FROM market_allocations WHERE id > ? AND (CAST(? AS TEXT) IS NULL OR owner = ?) ORDER BY id LIMIT ?");
    s.setString(1, cursor);
    setNullable(s, 2, owner.orElse(null));
    setNullable(s, 3, owner.orElse(null));
    s.setInt(4, limit);
    return all(s, MarketStore::allocationRow);
  }

  private static AllocationRow allocationRow(ResultSet r) throws SQLException {
    return new AllocationRow(
        r.getString(1), r.getString(2), r.getString(3), r.getString(4), Money.of(r.getString(5)), Money.of(r.getString(6)), r.getString(7),
        instant(r.getString(8)), instantOrNull(r.getString(9)));
  }

  // ---- payment documents ----

  private static final String DOCUMENT_COLUMNS =
      "d.id, d.agreement_id, d.position, d.kind, d.amount, d.status, d.issued_at, d.acceptance_deadline, d.justification, d.reason, d.transfer_id, d.updated_at";

  void insertDocument(DocumentRow d) throws SQLException {
    PreparedStatement s = db.statement("INSERT INTO market_documents (" + DOCUMENT_COLUMNS.replace("d.", "") + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, d.id());
    s.setString(2, d.agreementId());
    s.setInt(3, d.position());
    s.setString(4, d.kind());
    s.setString(5, d.amount().amount().toPlainString());
    s.setString(6, d.status().name());
    s.setString(7, text(d.issuedAt()));
    setNullable(s, 8, d.acceptanceDeadline() == null ? null : text(d.acceptanceDeadline()));
    s.setString(9, d.justification());
    s.setString(10, d.reason());
    setNullable(s, 11, d.transferId());
    s.setString(12, text(d.updatedAt()));
    s.executeUpdate();
  }

  void updateDocument(String id, DocumentStatus status, String reason, String transferId, Instant at) throws SQLException {
    PreparedStatement s = db.statement("UPDATE market_documents SET status = ?, reason = ?, transfer_id = COALESCE(?, transfer_id), updated_at = ? WHERE id = ?");
    s.setString(1, status.name());
    s.setString(2, reason);
    setNullable(s, 3, transferId);
    s.setString(4, text(at));
    s.setString(5, id);
    s.executeUpdate();
  }

  Optional<DocumentRow> document(String id) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + DOCUMENT_COLUMNS + " FROM market_documents d WHERE d.id = ?");
    s.setString(1, id);
    return first(s, MarketStore::documentRow);
  }

  /** The documents of an agreement, in the order issued. */
  List<DocumentRow> documents(String agreementId) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + DOCUMENT_COLUMNS + " FROM market_documents d WHERE d.agreement_id = ? ORDER BY d.position");
    s.setString(1, agreementId);
    return all(s, MarketStore::documentRow);
  }

  /** Documents of {@code kind} after {@code cursor}, of agreements of {@code requestor} and of {@code agreement} when given. */
  List<DocumentRow> documents(String kind, Optional<String> requestor, Optional<String> agreement, String cursor, int limit) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + DOCUMENT_COLUMNS + " FROM market_documents d JOIN market_agreements a ON a.id = d.agreement_id"
        + " WHERE d.kind = ? AND d.id > ? AND (CAST(? AS TEXT) IS NULL OR a.requestor = ?) AND (CAST(? AS TEXT) IS NULL OR d.agreement_id = ?) ORDER BY d.id LIMIT ?");
    s.setString(1, kind);
    s.setString(2, cursor);
    setNullable(s, 3, requestor.orElse(null));
    setNullable(s, 4, requestor.orElse(null));
    setNullable(s, 5, agreement.orElse(null));
    setNullable(s, 6, agreement.orElse(null));
    s.setInt(7, limit);
    return all(s, MarketStore::documentRow);
  }

  private static DocumentRow documentRow(ResultSet r) throws SQLException {
    return new DocumentRow(
        r.getString(1), r.getString(2), r.getInt(3), r.getString(4), Money.of(r.getString(5)), DocumentStatus.valueOf(r.getString(6)),
        instant(r.getString(7)), instantOrNull(r.getString(8)), r.getString(9), r.getString(10), r.getString(11), instant(r.getString(12)));
  }
}
