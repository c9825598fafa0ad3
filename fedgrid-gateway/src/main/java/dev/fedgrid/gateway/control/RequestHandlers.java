package dev.fedgrid.gateway.control;

import static dev.fedgrid.gateway.control.ControlHandlers.BASE;
import static dev.fedgrid.gateway.control.ControlHandlers.json;
import static dev.fedgrid.gateway.control.ControlHandlers.principal;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.governance.ReleaseRequest;
import dev.fedgrid.api.governance.RequestState;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.requests.ReleaseRequests;
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
 * The control API's release requests: {@code /jobs/{id}/release-requests} and {@code
 * /release-requests}. The rules are {@link ReleaseRequests}'; the job is read through {@link
 * GatewayControl} with the caller's rights, so a job the caller may not see is {@code
 * JOB_NOT_FOUND}.
 *
 * <p>Thread-safe.
 */
final class RequestHandlers {
  private final GatewayControl control;
  private final ReleaseRequests releases;

  RequestHandlers(GatewayControl control, ReleaseRequests releases) {
    this.control = Objects.requireNonNull(control, "control");
    this.releases = Objects.requireNonNull(releases, "releases");
  }

  /** This handler's routes, for {@link ControlServer}. */
  List<Route> routes() {
    Access triage = Access.permission(Permission.TRIAGE_REQUESTS);
    return List.of(
        new Route(Method.POST, BASE + "/jobs/{id}/release-requests", Access.permission(Permission.MAKE_DATA_REQUESTS), this::file),
        new Route(Method.GET, BASE + "/release-requests", Access.AUTHENTICATED, this::list),
        new Route(Method.GET, BASE + "/release-requests/{id}", Access.AUTHENTICATED, this::review),
        new Route(Method.POST, BASE + "/release-requests/{id}/approve", triage, this::approve),
        new Route(Method.POST, BASE + "/release-requests/{id}/deny", triage, this::deny));
  }

  /** The body of {@code POST /jobs/{id}/release-requests}. */
  record ReleaseBody(String reason) {}

  void file(ServerRequest req, ServerResponse res) {
    ReleaseBody body = JsonBodies.read(req, ReleaseBody.class);
    Principal caller = principal(req);
    ReleaseRequest r = releases.file(caller, control.job(caller, JobId.of(ControlHandlers.pathId(req))), body.reason());
    res.status(Status.CREATED_201);
    res.header(HeaderNames.LOCATION, BASE + "/release-requests/" + r.id());
    json(res, r);
  }

  void list(ServerRequest req, ServerResponse res) {
    Optional<RequestState> state = req.query().first("state").asOptional().filter(s -> !s.isBlank()).map(RequestState::of);
    json(res, Map.of("items", releases.list(principal(req), state)));
  }

  void review(ServerRequest req, ServerResponse res) {
    json(res, releases.review(principal(req), BudgetHandlers.requestId(req)));
  }

  void approve(ServerRequest req, ServerResponse res) {
    json(res, releases.approve(principal(req), BudgetHandlers.requestId(req), BudgetHandlers.comment(req)));
  }

  void deny(ServerRequest req, ServerResponse res) {
    json(res, releases.deny(principal(req), BudgetHandlers.requestId(req), BudgetHandlers.comment(req)));
  }
}
