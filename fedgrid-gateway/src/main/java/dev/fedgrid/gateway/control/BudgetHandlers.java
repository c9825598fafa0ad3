package dev.fedgrid.gateway.control;

import static dev.fedgrid.gateway.control.ControlHandlers.BASE;
import static dev.fedgrid.gateway.control.ControlHandlers.json;
import static dev.fedgrid.gateway.control.ControlHandlers.principal;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.governance.BudgetRequest;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.governance.RequestId;
import dev.fedgrid.api.governance.RequestState;
import dev.fedgrid.gateway.privacy.PrivacyBudgets;
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
 * The control API's privacy budgets and budget requests: {@code /budgets} and {@code
 * /budget-requests}. The rules (who sees what, what a budget holds) are {@link PrivacyBudgets}'.
 *
 * <p>Thread-safe.
 */
final class BudgetHandlers {
  private final PrivacyBudgets budgets;

  BudgetHandlers(PrivacyBudgets budgets) {
    this.budgets = Objects.requireNonNull(budgets, "budgets");
  }

  /** This handler's routes, for {@link ControlServer}. */
  List<Route> routes() {
    Access authenticated = Access.AUTHENTICATED;
    Access officers = Access.anyOf(Permission.TRIAGE_REQUESTS, Permission.MANAGE_PRIVACY_BUDGET); // PrivacyBudgets checks it too
    return List.of(
        new Route(Method.GET, BASE + "/budgets", authenticated, this::list),
        new Route(Method.PUT, BASE + "/budgets/{user}/{datasetId}", Access.permission(Permission.MANAGE_PRIVACY_BUDGET), this::set),
        new Route(Method.GET, BASE + "/budget-requests", authenticated, this::requests),
        new Route(Method.POST, BASE + "/budget-requests", Access.permission(Permission.MAKE_DATA_REQUESTS), this::file),
        new Route(Method.GET, BASE + "/budget-requests/{id}", authenticated, this::request),
        new Route(Method.POST, BASE + "/budget-requests/{id}/approve", officers, this::approve),
        new Route(Method.POST, BASE + "/budget-requests/{id}/deny", officers, this::deny));
  }

  /** The body of {@code PUT /budgets/{user}/{datasetId}}. */
  record BudgetBody(Double epsilon, Double delta) {}

  /** The body of {@code POST /budget-requests}. */
  record RequestBody(DatasetId dataset, Double epsilon, String reason) {}

  /** The body of approve and deny. */
  record DecisionBody(String comment) {}

  void set(ServerRequest req, ServerResponse res) {
    BudgetBody body = JsonBodies.read(req, BudgetBody.class);
    String user = req.path().pathParameters().get("user");
    DatasetId dataset = DatasetId.of(req.path().pathParameters().get("datasetId"));
    json(res, budgets.set(principal(req), user, dataset, body.epsilon(), body.delta()));
  }

  void list(ServerRequest req, ServerResponse res) {
    Optional<String> user = req.query().first("user").asOptional().filter(s -> !s.isBlank());
    Optional<DatasetId> dataset = req.query().first("dataset").asOptional().filter(s -> !s.isBlank()).map(DatasetId::of);
    json(res, Map.of("items", budgets.list(principal(req), user, dataset)));
  }

  void file(ServerRequest req, ServerResponse res) {
    RequestBody body = JsonBodies.read(req, RequestBody.class);
    if (body.dataset() == null) {
      throw new dev.fedgrid.api.InvalidRequestException("INVALID_FIELD", "'dataset' is required: the id of the dataset (ds_...)", Map.of("field", "dataset"));
    }
    BudgetRequest r = budgets.request(principal(req), body.dataset(), body.epsilon(), body.reason());
    res.status(Status.CREATED_201);
    res.header(HeaderNames.LOCATION, BASE + "/budget-requests/" + r.id());
    json(res, r);
  }

  void requests(ServerRequest req, ServerResponse res) {
    Optional<RequestState> state = req.query().first("state").asOptional().filter(s -> !s.isBlank()).map(RequestState::of);
    json(res, Map.of("items", budgets.requests(principal(req), state)));
  }

  void request(ServerRequest req, ServerResponse res) {
    json(res, budgets.request(principal(req), requestId(req)));
  }

  void approve(ServerRequest req, ServerResponse res) {
    json(res, budgets.approve(principal(req), requestId(req), comment(req)));
  }

  void deny(ServerRequest req, ServerResponse res) {
    json(res, budgets.deny(principal(req), requestId(req), comment(req)));
  }

  static RequestId requestId(ServerRequest req) {
    return RequestId.of(req.path().pathParameters().get("id"));
  }

  /** The optional {@code {"comment": ...}} body of a decision; an empty body is no comment. */
  static String comment(ServerRequest req) {
    if (req.headers().contentLength().orElse(-1) == 0) return null;
    return JsonBodies.read(req, DecisionBody.class).comment();
  }
}
