package dev.fedgrid.gateway.control;

import static dev.fedgrid.gateway.control.ControlHandlers.BASE;
import static dev.fedgrid.gateway.control.ControlHandlers.json;
import static dev.fedgrid.gateway.control.ControlHandlers.principal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.gateway.market.Activities;
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
 * The control API of activities: {@code /activities}, their scripts ({@code /exec}, {@code
 * /batches/{batch}}), logs and termination. Routes check the permission a role needs; {@link
 * Activities} checks that a writer is the agreement's requestor and who may read (docs/market.md,
 * "Activities").
 *
 * <p>Thread-safe.
 */
final class ActivityHandlers {
  private final Activities activities;

  ActivityHandlers(Activities activities) {
    this.activities = Objects.requireNonNull(activities, "activities");
  }

  List<Route> routes() {
    Access any = Access.AUTHENTICATED;
    Access requestor = Access.permission(Permission.MAKE_DATA_REQUESTS);
    return List.of(
        new Route(Method.POST, BASE + "/activities", requestor, this::create),
        new Route(Method.GET, BASE + "/activities", any,
            (req, res) -> json(res, activities.activities(principal(req), query(req, "agreement"), query(req, "cursor").orElse(""), limit(req)))),
        new Route(Method.GET, BASE + "/activities/{id}", any, (req, res) -> json(res, activities.activity(principal(req), id(req)))),
        new Route(Method.POST, BASE + "/activities/{id}/exec", requestor, this::exec),
        new Route(Method.GET, BASE + "/activities/{id}/batches/{batch}", any,
            (req, res) -> json(res, activities.batch(principal(req), id(req), req.path().pathParameters().get("batch")))),
        new Route(Method.GET, BASE + "/activities/{id}/logs", any, (req, res) -> json(res, activities.logs(principal(req), id(req), from(req), limit(req)))),
        new Route(Method.POST, BASE + "/activities/{id}/terminate", requestor,
            (req, res) -> json(res, activities.terminate(principal(req), id(req), JsonBodies.read(req, ReasonBody.class).reason()))));
  }

  record CreateBody(String agreement) {}

  record ExecBody(JsonNode commands) {}

  record ReasonBody(String reason) {}

  void create(ServerRequest req, ServerResponse res) {
    var view = activities.create(principal(req), JsonBodies.read(req, CreateBody.class).agreement());
    res.status(Status.CREATED_201);
    res.header(HeaderNames.LOCATION, BASE + "/activities/" + view.id());
    json(res, view);
  }

  /** 202: the script is queued; its results fill in at the batch's Location. */
  void exec(ServerRequest req, ServerResponse res) {
    var batch = activities.exec(principal(req), id(req), JsonBodies.read(req, ExecBody.class).commands());
    res.status(Status.ACCEPTED_202);
    res.header(HeaderNames.LOCATION, BASE + "/activities/" + batch.activity() + "/batches/" + batch.id());
    json(res, batch);
  }

  private static String id(ServerRequest req) {
    return req.path().pathParameters().get("id");
  }

  private static Optional<String> query(ServerRequest req, String name) {
    return req.query().first(name).asOptional().filter(s -> !s.isBlank());
  }

  private static int limit(ServerRequest req) {
    return ControlHandlers.limit(req.query().first("limit").asOptional());
  }

  private static int from(ServerRequest req) {
    Optional<String> from = query(req, "from");
    if (from.isEmpty()) return 0;
    try {
      return Integer.parseInt(from.get().strip());
    } catch (NumberFormatException e) {
      throw new InvalidRequestException("INVALID_FIELD", "'from' is a log line's sequence number, 0 or more; got '" + from.get() + "'", Map.of("field", "from"));
    }
  }
}
