package dev.fedgrid.gateway.control;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JoinTokenId;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.node.IssuedJoinToken;
import dev.fedgrid.gateway.access.JoinTokens;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The control API's node enrolment endpoints under {@code /api/v1/nodes/join-tokens}: issue a
 * single-use join token (its secret is in this one answer only), list them without secrets, and
 * revoke one. The routes need {@code can_manage_infrastructure}; {@link JoinTokens} checks it again.
 *
 * <p>Thread-safe (stateless beyond the thread-safe service).
 */
final class EnrolmentHandlers {
  static final String PATH = ControlHandlers.BASE + "/nodes/join-tokens";

  private final JoinTokens tokens;

  EnrolmentHandlers(JoinTokens tokens) {
    this.tokens = Objects.requireNonNull(tokens, "tokens");
  }

  /**
   * The routes. They must be registered before {@code GET /nodes/{id}}, which would otherwise take
   * {@code join-tokens} for a node id.
   */
  List<Route> routes() {
    Access operators = Access.permission(Permission.MANAGE_INFRASTRUCTURE);
    return List.of(
        new Route(Method.POST, PATH, operators, this::create),
        new Route(Method.GET, PATH, operators, this::list),
        new Route(Method.DELETE, PATH + "/{id}", operators, this::revoke));
  }

  /**
   * The body of {@code POST /nodes/join-tokens}.
   *
   * @param name the only node name the token enrols; null or absent for any name
   * @param expiresInHours the token's lifetime, 1 to 720 hours; null or absent for 24
   */
  record CreateJoinToken(String name, Integer expiresInHours) {}

  void create(ServerRequest req, ServerResponse res) {
    CreateJoinToken body = req.headers().contentLength().orElse(-1) == 0 ? new CreateJoinToken(null, null) : JsonBodies.read(req, CreateJoinToken.class);
    int hours = body.expiresInHours() == null ? (int) JoinTokens.DEFAULT_LIFETIME.toHours() : body.expiresInHours();
    if (hours < 1 || hours > JoinTokens.MAX_LIFETIME.toHours()) {
      throw new InvalidRequestException(
          "INVALID_JOIN_TOKEN", "expiresInHours must be 1 to " + JoinTokens.MAX_LIFETIME.toHours() + ", got " + hours, Map.of("field", "expiresInHours"));
    }
    IssuedJoinToken issued = tokens.issue(ControlHandlers.principal(req), Optional.ofNullable(body.name()), Duration.ofHours(hours));
    res.status(Status.CREATED_201);
    res.header(HeaderNames.CACHE_CONTROL, "no-store"); // the secret is in this answer only
    ControlHandlers.json(res, issued);
  }

  void list(ServerRequest req, ServerResponse res) {
    ControlHandlers.json(res, Map.of("items", tokens.list()));
  }

  void revoke(ServerRequest req, ServerResponse res) {
    JoinTokenId id = JoinTokenId.of(req.path().pathParameters().get("id"));
    ControlHandlers.json(res, tokens.revoke(ControlHandlers.principal(req), id));
  }
}
