package dev.fedgrid.gateway.control;

import static dev.fedgrid.gateway.control.ControlHandlers.BASE;
import static dev.fedgrid.gateway.control.ControlHandlers.json;
import static dev.fedgrid.gateway.control.ControlHandlers.principal;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.gateway.market.Market;
import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The control API of the compute market and the ledger: {@code /offers}, {@code /demands}, {@code
 * /proposals}, {@code /agreements}, {@code /allocations}, {@code /debit-notes}, {@code /invoices}
 * and {@code /ledger}. Routes check the permission a role needs; {@link Market} checks which side of
 * an agreement the caller is on (docs/market.md, "Who may do what").
 *
 * <p>Thread-safe.
 */
final class MarketHandlers {
  private static final String DEBIT_NOTE = "debit_note";
  private static final String INVOICE = "invoice";

  private final Market market;

  MarketHandlers(Market market) {
    this.market = Objects.requireNonNull(market, "market");
  }

  /** This handler's routes, for {@link ControlServer}. */
  List<Route> routes() {
    Access any = Access.AUTHENTICATED;
    Access provider = Access.permission(Permission.MANAGE_INFRASTRUCTURE);
    Access requestor = Access.permission(Permission.MAKE_DATA_REQUESTS);
    Access eitherSide = Access.anyOf(Permission.MAKE_DATA_REQUESTS, Permission.MANAGE_INFRASTRUCTURE);
    return List.of(
        new Route(Method.POST, BASE + "/offers", provider, this::publishOffer),
        new Route(Method.GET, BASE + "/offers", any, this::offers),
        new Route(Method.GET, BASE + "/offers/{id}", any, (req, res) -> json(res, market.offer(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/offers/{id}/withdraw", provider, (req, res) -> json(res, market.withdrawOffer(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/demands", requestor, this::publishDemand),
        new Route(Method.GET, BASE + "/demands", any, (req, res) -> json(res, market.demands(principal(req), cursor(req), limit(req)))),
        new Route(Method.GET, BASE + "/demands/{id}", any, (req, res) -> json(res, market.demand(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/demands/{id}/withdraw", requestor, (req, res) -> json(res, market.withdrawDemand(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/proposals", eitherSide, this::propose),
        new Route(Method.GET, BASE + "/proposals", any,
            (req, res) -> json(res, market.proposals(principal(req), query(req, "demand"), cursor(req), limit(req)))),
        new Route(Method.GET, BASE + "/proposals/{id}", any, (req, res) -> json(res, market.proposal(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/proposals/{id}/counter", eitherSide, this::counter),
        new Route(Method.POST, BASE + "/agreements", requestor, this::createAgreement),
        new Route(Method.GET, BASE + "/jobs/{id}/assignments/{node}", provider,
            (req, res) -> json(res, market.assignment(principal(req), JobId.of(req.path().pathParameters().get("id")), req.path().pathParameters().get("node")))),
        new Route(Method.GET, BASE + "/agreements", any,
            (req, res) -> json(res, market.agreements(principal(req), query(req, "job"), cursor(req), limit(req)))),
        new Route(Method.GET, BASE + "/agreements/{id}", any, (req, res) -> json(res, market.agreement(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/agreements/{id}/confirm", requestor, (req, res) -> json(res, market.confirm(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/agreements/{id}/approve", provider, (req, res) -> json(res, market.approve(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/agreements/{id}/reject", provider, (req, res) -> json(res, market.reject(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/agreements/{id}/cancel", requestor, (req, res) -> json(res, market.cancel(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/agreements/{id}/terminate", eitherSide,
            (req, res) -> json(res, market.terminate(principal(req), id(req), JsonBodies.read(req, ReasonBody.class).reason()))),
        new Route(Method.POST, BASE + "/agreements/{id}/debit-notes", provider, this::issueDebitNote),
        new Route(Method.POST, BASE + "/agreements/{id}/invoices", provider, this::issueInvoice),
        new Route(Method.POST, BASE + "/allocations", requestor, this::allocate),
        new Route(Method.GET, BASE + "/allocations", any, (req, res) -> json(res, market.allocations(principal(req), cursor(req), limit(req)))),
        new Route(Method.GET, BASE + "/allocations/{id}", any, (req, res) -> json(res, market.allocation(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/allocations/{id}/release", requestor, (req, res) -> json(res, market.release(principal(req), id(req)))),
        new Route(Method.GET, BASE + "/debit-notes", any, (req, res) -> documents(req, res, DEBIT_NOTE)),
        new Route(Method.GET, BASE + "/debit-notes/{id}", any, (req, res) -> json(res, market.document(principal(req), DEBIT_NOTE, id(req)))),
        new Route(Method.POST, BASE + "/debit-notes/{id}/accept", requestor, (req, res) -> json(res, market.accept(principal(req), DEBIT_NOTE, id(req)))),
        new Route(Method.POST, BASE + "/debit-notes/{id}/reject", requestor, (req, res) -> reject(req, res, DEBIT_NOTE)),
        new Route(Method.POST, BASE + "/debit-notes/{id}/cancel", provider, (req, res) -> json(res, market.cancelDocument(principal(req), DEBIT_NOTE, id(req)))),
        new Route(Method.GET, BASE + "/invoices", any, (req, res) -> documents(req, res, INVOICE)),
        new Route(Method.GET, BASE + "/invoices/{id}", any, (req, res) -> json(res, market.document(principal(req), INVOICE, id(req)))),
        new Route(Method.POST, BASE + "/invoices/{id}/accept", requestor, (req, res) -> json(res, market.accept(principal(req), INVOICE, id(req)))),
        new Route(Method.POST, BASE + "/invoices/{id}/reject", requestor, (req, res) -> reject(req, res, INVOICE)),
        new Route(Method.POST, BASE + "/invoices/{id}/cancel", provider, (req, res) -> json(res, market.cancelDocument(principal(req), INVOICE, id(req)))),
        new Route(Method.GET, BASE + "/ledger/accounts", any, (req, res) -> json(res, Map.of("items", market.accounts(principal(req))))),
        new Route(Method.GET, BASE + "/ledger/accounts/{id}", any, (req, res) -> json(res, market.account(principal(req), id(req)))),
        new Route(Method.GET, BASE + "/ledger/transfers", any,
            (req, res) -> json(res, Map.of("items", market.transfers(principal(req), query(req, "account"), limit(req))))),
        new Route(Method.POST, BASE + "/ledger/deposits", Access.permission(Permission.EDIT_SETTINGS), this::deposit));
  }

  record ProposeBody(String offer, String demand) {}

  record AgreementBody(String proposal, Long validForSeconds, String softCap) {}

  record ReasonBody(String reason) {}

  record DebitNoteBody(String totalDue, Long acceptWithinSeconds) {}

  record InvoiceBody(String amount, String justification) {}

  record AllocationBody(String job, String amount) {}

  record DepositBody(String account, String amount, String reference, String memo) {}

  void publishOffer(ServerRequest req, ServerResponse res) {
    var view = market.publishOffer(principal(req), JsonBodies.read(req, OfferTerms.class));
    created(res, "/offers/", view.id(), view);
  }

  void offers(ServerRequest req, ServerResponse res) {
    boolean all = query(req, "state").map(s -> s.equals("all")).orElse(false);
    json(res, market.offers(principal(req), query(req, "constraint"), query(req, "node"), query(req, "demand"), all, cursor(req), limit(req)));
  }

  void publishDemand(ServerRequest req, ServerResponse res) {
    var view = market.publishDemand(principal(req), JsonBodies.read(req, DemandTerms.class));
    created(res, "/demands/", view.id(), view);
  }

  void propose(ServerRequest req, ServerResponse res) {
    ProposeBody body = JsonBodies.read(req, ProposeBody.class);
    var view = market.propose(principal(req), body.offer(), body.demand());
    created(res, "/proposals/", view.id(), view);
  }

  void counter(ServerRequest req, ServerResponse res) {
    var view = market.counter(principal(req), id(req), JsonBodies.read(req, Market.Counter.class));
    created(res, "/proposals/", view.id(), view);
  }

  void createAgreement(ServerRequest req, ServerResponse res) {
    AgreementBody body = JsonBodies.read(req, AgreementBody.class);
    var view = market.createAgreement(principal(req), body.proposal(), Optional.ofNullable(body.validForSeconds()), Optional.ofNullable(body.softCap()));
    created(res, "/agreements/", view.id(), view);
  }

  void issueDebitNote(ServerRequest req, ServerResponse res) {
    DebitNoteBody body = JsonBodies.read(req, DebitNoteBody.class);
    var view = market.issueDebitNote(principal(req), id(req), body.totalDue(), Optional.ofNullable(body.acceptWithinSeconds()));
    created(res, "/debit-notes/", view.id(), view);
  }

  void issueInvoice(ServerRequest req, ServerResponse res) {
    InvoiceBody body = JsonBodies.read(req, InvoiceBody.class);
    var view = market.issueInvoice(principal(req), id(req), body.amount(), body.justification());
    created(res, "/invoices/", view.id(), view);
  }

  void allocate(ServerRequest req, ServerResponse res) {
    AllocationBody body = JsonBodies.read(req, AllocationBody.class);
    var view = market.allocate(principal(req), body.job(), body.amount());
    created(res, "/allocations/", view.id(), view);
  }

  void deposit(ServerRequest req, ServerResponse res) {
    DepositBody body = JsonBodies.read(req, DepositBody.class);
    res.status(Status.CREATED_201);
    json(res, market.deposit(principal(req), body.account(), body.amount(), Optional.ofNullable(body.reference()), body.memo()));
  }

  private void documents(ServerRequest req, ServerResponse res, String kind) {
    json(res, market.documents(principal(req), kind, query(req, "agreement"), cursor(req), limit(req)));
  }

  private void reject(ServerRequest req, ServerResponse res, String kind) {
    json(res, market.rejectDocument(principal(req), kind, id(req), JsonBodies.read(req, ReasonBody.class).reason()));
  }

  /** 201 with a Location header and the created object. */
  private static void created(ServerResponse res, String path, String id, Object view) {
    res.status(Status.CREATED_201);
    res.header(HeaderNames.LOCATION, BASE + path + id);
    json(res, view);
  }

  private static String id(ServerRequest req) {
    return req.path().pathParameters().get("id");
  }

  private static Optional<String> query(ServerRequest req, String name) {
    return req.query().first(name).asOptional().filter(s -> !s.isBlank());
  }

  private static String cursor(ServerRequest req) {
    return query(req, "cursor").orElse("");
  }

  private static int limit(ServerRequest req) {
    return ControlHandlers.limit(req.query().first("limit").asOptional());
  }
}
