package dev.fedgrid.client;

import com.fasterxml.jackson.databind.JavaType;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The compute market and the internal ledger of a gateway ({@code /offers}, {@code /demands},
 * {@code /proposals}, {@code /agreements}, {@code /allocations}, {@code /debit-notes}, {@code
 * /invoices}, {@code /ledger}), from {@link FedGridClient#market()}. Amounts are decimal strings
 * such as {@code "0.25"} (exact, at most 18 decimals); who may call what is in docs/market.md.
 *
 * <pre>{@code
 * var market = client.market();
 * Offer offer = market.offers(new OfferQuery("(fedgrid.inf.mem.gib>=8)", null, demand.id(), false), null, 50).items().getFirst();
 * Proposal p = market.propose(offer.id(), demand.id());
 * Agreement a = market.confirm(market.createAgreement(p.id(), null, null).id());
 * }</pre>
 *
 * <p>Thread-safe, as its client.
 */
public final class MarketClient {
  private static final String JSON = "application/json";
  private final FedGridClient client;

  MarketClient(FedGridClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  // ---- the wire types ----

  /** A price: a fixed part and a coefficient per usage counter ({@code examples_epochs}, {@code cpu_seconds}, {@code bytes}). */
  public record Price(String fixed, Map<String, String> perUnit) {}

  public record OfferTerms(String node, Map<String, Object> properties, String constraints, Price price) {}

  public record DemandTerms(String job, Map<String, Object> properties, String constraints, Price maxPrice, String budget, Map<String, Long> expectedUsage) {}

  public record Offer(String id, String state, OfferTerms terms, String publishedBy, Instant publishedAt, Instant withdrawnAt) {}

  public record Demand(String id, String job, String owner, String state, DemandTerms terms, Instant createdAt, Instant withdrawnAt) {}

  public record Proposal(
      String id, String negotiation, String previous, String offer, String demand, String issuer, String issuedBy, OfferTerms offerTerms,
      DemandTerms demandTerms, String estimate, boolean latest, Instant createdAt) {}

  /** The body of a counter-proposal: the provider side sets offer terms, the requestor demand terms; nulls keep the countered ones. */
  public record Counter(Map<String, Object> properties, String constraints, Price price, Price maxPrice, String budget, Map<String, Long> expectedUsage) {}

  public record Transition(String from, String to, String event, String party, String actor, Instant at, String reason) {}

  public record Agreement(
      String id, String proposal, String offer, String demand, String job, String node, String requestor, String state, Instant expiresAt,
      String softCap, String hardCap, String estimate, Instant createdAt, List<Transition> history) {}

  public record Allocation(
      String id, String job, String owner, String account, String total, String spent, String remaining, String state, Instant createdAt,
      Instant releasedAt) {}

  /** A debit note ({@code kind} {@code debit_note}) or invoice; {@code warning} set when a new debit note passed the soft cap. */
  public record PaymentDocument(
      String id, String kind, String agreement, String amount, String status, Instant issuedAt, Instant acceptanceDeadline, String justification,
      String reason, String transfer, String warning) {}

  public record Account(String id, String balance, Instant createdAt) {}

  public record Transfer(String id, String reference, String from, String to, String amount, String memo, Instant at) {}

  /**
   * Which offers to list.
   *
   * @param constraint only offers whose properties meet it, or null
   * @param node only this node's, or null
   * @param demand only offers that match this demand both ways, or null
   * @param all withdrawn offers too
   */
  public record OfferQuery(String constraint, String node, String demand, boolean all) {}

  // ---- offers and demands ----

  /** Publishes an offer (needs {@code can_manage_infrastructure}). */
  public Offer publishOffer(OfferTerms terms) {
    return post("/offers", terms, Offer.class);
  }

  public Page<Offer> offers(OfferQuery query, String cursor, int limit) {
    var q = new ArrayList<String>();
    if (query != null) {
      if (query.constraint() != null) q.add("constraint=" + FedGridClient.encode(query.constraint()));
      if (query.node() != null) q.add("node=" + FedGridClient.encode(query.node()));
      if (query.demand() != null) q.add("demand=" + FedGridClient.encode(query.demand()));
      if (query.all()) q.add("state=all");
    }
    return page("/offers", q, cursor, limit, Offer.class);
  }

  public Offer offer(String id) {
    return get("/offers/" + FedGridClient.segment(id), Offer.class);
  }

  public Offer withdrawOffer(String id) {
    return post("/offers/" + FedGridClient.segment(id) + "/withdraw", null, Offer.class);
  }

  /** Publishes a demand for one's own job (needs {@code can_make_data_requests}). */
  public Demand publishDemand(DemandTerms terms) {
    return post("/demands", terms, Demand.class);
  }

  public Page<Demand> demands(String cursor, int limit) {
    return page("/demands", List.of(), cursor, limit, Demand.class);
  }

  public Demand demand(String id) {
    return get("/demands/" + FedGridClient.segment(id), Demand.class);
  }

  public Demand withdrawDemand(String id) {
    return post("/demands/" + FedGridClient.segment(id) + "/withdraw", null, Demand.class);
  }

  // ---- negotiation and agreements ----

  /** Opens a negotiation of an offer and a demand with a first proposal. */
  public Proposal propose(String offer, String demand) {
    return post("/proposals", Map.of("offer", offer, "demand", demand), Proposal.class);
  }

  /** Proposals, of {@code demand} when not null. */
  public Page<Proposal> proposals(String demand, String cursor, int limit) {
    return page("/proposals", demand == null ? List.of() : List.of("demand=" + FedGridClient.encode(demand)), cursor, limit, Proposal.class);
  }

  public Proposal proposal(String id) {
    return get("/proposals/" + FedGridClient.segment(id), Proposal.class);
  }

  public Proposal counter(String proposal, Counter counter) {
    return post("/proposals/" + FedGridClient.segment(proposal) + "/counter", counter, Proposal.class);
  }

  /**
   * Makes an agreement of the latest proposal (the requestor).
   *
   * @param validForSeconds null for the default, 3600
   * @param softCap null for the hard cap, which is the demand's budget
   */
  public Agreement createAgreement(String proposal, Long validForSeconds, String softCap) {
    var body = new LinkedHashMap<String, Object>();
    body.put("proposal", proposal);
    if (validForSeconds != null) body.put("validForSeconds", validForSeconds);
    if (softCap != null) body.put("softCap", softCap);
    return post("/agreements", body, Agreement.class);
  }

  /** Agreements, of {@code job} when not null. */
  public Page<Agreement> agreements(String job, String cursor, int limit) {
    return page("/agreements", job == null ? List.of() : List.of("job=" + FedGridClient.encode(job)), cursor, limit, Agreement.class);
  }

  public Agreement agreement(String id) {
    return get("/agreements/" + FedGridClient.segment(id), Agreement.class);
  }

  public Agreement confirm(String id) {
    return post("/agreements/" + FedGridClient.segment(id) + "/confirm", null, Agreement.class);
  }

  public Agreement approve(String id) {
    return post("/agreements/" + FedGridClient.segment(id) + "/approve", null, Agreement.class);
  }

  public Agreement reject(String id) {
    return post("/agreements/" + FedGridClient.segment(id) + "/reject", null, Agreement.class);
  }

  public Agreement cancel(String id) {
    return post("/agreements/" + FedGridClient.segment(id) + "/cancel", null, Agreement.class);
  }

  public Agreement terminate(String id, String reason) {
    return post("/agreements/" + FedGridClient.segment(id) + "/terminate", Map.of("reason", reason), Agreement.class);
  }

  // ---- allocations, debit notes and invoices ----

  /** Reserves {@code amount} for one's own job from one's ledger account. */
  public Allocation allocate(String job, String amount) {
    return post("/allocations", Map.of("job", job, "amount", amount), Allocation.class);
  }

  public Page<Allocation> allocations(String cursor, int limit) {
    return page("/allocations", List.of(), cursor, limit, Allocation.class);
  }

  public Allocation allocation(String id) {
    return get("/allocations/" + FedGridClient.segment(id), Allocation.class);
  }

  public Allocation releaseAllocation(String id) {
    return post("/allocations/" + FedGridClient.segment(id) + "/release", null, Allocation.class);
  }

  /** Issues a debit note with the cumulative {@code totalDue} (the provider side); {@code acceptWithinSeconds} null for 3600. */
  public PaymentDocument issueDebitNote(String agreement, String totalDue, Long acceptWithinSeconds) {
    var body = new LinkedHashMap<String, Object>();
    body.put("totalDue", totalDue);
    if (acceptWithinSeconds != null) body.put("acceptWithinSeconds", acceptWithinSeconds);
    return post("/agreements/" + FedGridClient.segment(agreement) + "/debit-notes", body, PaymentDocument.class);
  }

  /** Issues the invoice (the provider side); {@code justification} needed when above the accepted total. */
  public PaymentDocument issueInvoice(String agreement, String amount, String justification) {
    var body = new LinkedHashMap<String, Object>();
    body.put("amount", amount);
    if (justification != null) body.put("justification", justification);
    return post("/agreements/" + FedGridClient.segment(agreement) + "/invoices", body, PaymentDocument.class);
  }

  /** The kind of payment document, and its path. */
  public enum DocumentKind {
    DEBIT_NOTE("/debit-notes"),
    INVOICE("/invoices");

    private final String path;

    DocumentKind(String path) {
      this.path = path;
    }
  }

  /** Documents of a kind, of {@code agreement} when not null. */
  public Page<PaymentDocument> documents(DocumentKind kind, String agreement, String cursor, int limit) {
    return page(kind.path, agreement == null ? List.of() : List.of("agreement=" + FedGridClient.encode(agreement)), cursor, limit, PaymentDocument.class);
  }

  public PaymentDocument document(DocumentKind kind, String id) {
    return get(kind.path + "/" + FedGridClient.segment(id), PaymentDocument.class);
  }

  /** Accepts a document (the requestor): its unaccepted part is paid from the job's allocation. */
  public PaymentDocument accept(DocumentKind kind, String id) {
    return post(kind.path + "/" + FedGridClient.segment(id) + "/accept", null, PaymentDocument.class);
  }

  public PaymentDocument reject(DocumentKind kind, String id, String reason) {
    return post(kind.path + "/" + FedGridClient.segment(id) + "/reject", Map.of("reason", reason), PaymentDocument.class);
  }

  public PaymentDocument cancelDocument(DocumentKind kind, String id) {
    return post(kind.path + "/" + FedGridClient.segment(id) + "/cancel", null, PaymentDocument.class);
  }

  // ---- the ledger ----

  /** The accounts the caller may see, their own first. */
  public List<Account> accounts() {
    return client.items(client.request("/ledger/accounts").GET(), Account.class);
  }

  public Account account(String id) {
    return get("/ledger/accounts/" + FedGridClient.segment(id), Account.class);
  }

  /** Transfers of {@code account} (one's own when null), oldest first. */
  public List<Transfer> transfers(String account, int limit) {
    String q = "?limit=" + limit + (account == null ? "" : "&account=" + FedGridClient.encode(account));
    return client.items(client.request("/ledger/transfers" + q).GET(), Transfer.class);
  }

  /** Funds a user or node account (needs {@code can_edit_settings}); the same {@code reference} twice deposits once. */
  public Transfer deposit(String account, String amount, String reference, String memo) {
    var body = new LinkedHashMap<String, Object>();
    body.put("account", account);
    body.put("amount", amount);
    if (reference != null) body.put("reference", reference);
    if (memo != null) body.put("memo", memo);
    return post("/ledger/deposits", body, Transfer.class);
  }

  // ---- plumbing ----

  private <T> T get(String path, Class<T> type) {
    return client.send(client.request(path).GET(), FedGridClient.type(type));
  }

  private <T> T post(String path, Object body, Class<T> type) {
    HttpRequest.Builder b = client.request(path)
        .POST(body == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(FedGridClient.toJson(body)))
        .header("Content-Type", JSON);
    return client.send(b, FedGridClient.type(type));
  }

  private <T> Page<T> page(String path, List<String> query, String cursor, int limit, Class<T> item) {
    var q = new ArrayList<>(query);
    q.add("limit=" + limit);
    if (cursor != null) q.add("cursor=" + FedGridClient.encode(cursor));
    JavaType type = ClientJson.MAPPER.getTypeFactory().constructParametricType(Page.class, item);
    return client.send(client.request(path + "?" + String.join("&", q)).GET(), type);
  }
}
