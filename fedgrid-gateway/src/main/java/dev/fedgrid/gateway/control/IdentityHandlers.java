package dev.fedgrid.gateway.control;

import static dev.fedgrid.gateway.control.ControlHandlers.json;
import static dev.fedgrid.gateway.control.ControlHandlers.principal;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.TokenId;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.gateway.access.IdentityService;
import dev.fedgrid.gateway.access.IssuedToken;
import dev.fedgrid.gateway.access.NewUser;
import dev.fedgrid.gateway.access.Role;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The control API's identity endpoints: {@code /login}, {@code /me}, {@code /users}, {@code
 * /roles} and {@code /tokens}. Each reads one request, calls {@link IdentityService} with the
 * authenticated caller and writes the JSON answer; the service holds every rule.
 *
 * <p>Thread-safe: the only state is the (thread-safe) service.
 */
final class IdentityHandlers {
  private final IdentityService identity;

  IdentityHandlers(IdentityService identity) {
    this.identity = identity;
  }

  /** The body of {@code POST /login}. */
  record LoginRequest(String user, String password) {}

  /** The body of {@code POST /users}. */
  record CreateUserRequest(String name, String role, String password) {}

  /** The body of {@code PATCH /users/{name}}. */
  record UpdateUserRequest(String role, Boolean disabled, String password, String currentPassword) {}

  /** The body of {@code POST /roles} and {@code PUT /roles/{name}}. */
  record RoleRequest(String name, String description, List<Permission> permissions) {}

  /** The body of {@code POST /tokens}. */
  record TokenRequest(String name, Integer expiresInDays) {}

  void login(ServerRequest req, ServerResponse res) {
    LoginRequest body = JsonBodies.read(req, LoginRequest.class);
    json(res, identity.login(body.user(), body.password(), address(req)));
  }

  void me(ServerRequest req, ServerResponse res) {
    json(res, identity.me(principal(req)));
  }

  void users(ServerRequest req, ServerResponse res) {
    json(res, Map.of("items", identity.users(principal(req))));
  }

  void createUser(ServerRequest req, ServerResponse res) {
    CreateUserRequest body = JsonBodies.read(req, CreateUserRequest.class);
    if (body.role() == null) throw missing("role", "the role to give the user, such as data-scientist");
    NewUser created = identity.createUser(principal(req), body.name(), body.role(), Optional.ofNullable(body.password()));
    res.status(Status.CREATED_201);
    res.header(HeaderNames.LOCATION, ControlHandlers.BASE + "/users/" + created.user().name());
    json(res, created);
  }

  void user(ServerRequest req, ServerResponse res) {
    json(res, identity.user(principal(req), name(req)));
  }

  void updateUser(ServerRequest req, ServerResponse res) {
    UpdateUserRequest body = JsonBodies.read(req, UpdateUserRequest.class);
    json(res, identity.updateUser(
        principal(req), name(req), Optional.ofNullable(body.role()), Optional.ofNullable(body.disabled()), Optional.ofNullable(body.password()),
        Optional.ofNullable(body.currentPassword())));
  }

  void roles(ServerRequest req, ServerResponse res) {
    json(res, Map.of("items", identity.roles()));
  }

  void createRole(ServerRequest req, ServerResponse res) {
    RoleRequest body = JsonBodies.read(req, RoleRequest.class);
    Role role = identity.createRole(principal(req), body.name(), body.description(), permissions(body));
    res.status(Status.CREATED_201);
    res.header(HeaderNames.LOCATION, ControlHandlers.BASE + "/roles/" + role.name());
    json(res, role);
  }

  void updateRole(ServerRequest req, ServerResponse res) {
    RoleRequest body = JsonBodies.read(req, RoleRequest.class);
    String name = name(req);
    if (body.name() != null && !body.name().equals(name)) {
      throw new InvalidRequestException("INVALID_NAME", "the body names role " + body.name() + " but the path names " + name + "; roles cannot be renamed",
          Map.of("field", "name"));
    }
    json(res, identity.updateRole(principal(req), name, body.description(), permissions(body)));
  }

  void deleteRole(ServerRequest req, ServerResponse res) {
    identity.deleteRole(principal(req), name(req));
    res.status(Status.NO_CONTENT_204);
    res.send();
  }

  void tokens(ServerRequest req, ServerResponse res) {
    json(res, Map.of("items", identity.tokens(principal(req))));
  }

  void createToken(ServerRequest req, ServerResponse res) {
    TokenRequest body = JsonBodies.read(req, TokenRequest.class);
    int days = body.expiresInDays() == null ? IdentityService.DEFAULT_TOKEN_DAYS : body.expiresInDays();
    IssuedToken token = identity.createToken(principal(req), body.name(), days);
    res.status(Status.CREATED_201);
    json(res, token);
  }

  void revokeToken(ServerRequest req, ServerResponse res) {
    identity.revokeToken(principal(req), TokenId.of(ControlHandlers.pathId(req)));
    res.status(Status.NO_CONTENT_204);
    res.send();
  }

  private static List<Permission> permissions(RoleRequest body) {
    if (body.permissions() == null) throw missing("permissions", "the list of permissions, such as [\"can_make_data_requests\"]");
    return body.permissions();
  }

  private static String name(ServerRequest req) {
    return req.path().pathParameters().get("name");
  }

  private static InvalidRequestException missing(String field, String what) {
    return new InvalidRequestException("MISSING_FIELD", "the body needs '" + field + "': " + what, Map.of("field", field));
  }

  /** The caller's IP address, without the port, for login throttling. */
  private static String address(ServerRequest req) {
    SocketAddress address = req.remotePeer().address();
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) return inet.getAddress().getHostAddress();
    return req.remotePeer().host();
  }
}
