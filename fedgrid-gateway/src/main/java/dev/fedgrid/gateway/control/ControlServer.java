package dev.fedgrid.gateway.control;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.gateway.access.DatasetAccess;
import dev.fedgrid.gateway.access.IdentityService;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.market.Activities;
import dev.fedgrid.gateway.market.Market;
import dev.fedgrid.gateway.privacy.PrivacyBudgets;
import dev.fedgrid.gateway.reports.JobReports;
import dev.fedgrid.gateway.requests.HeldResults;
import dev.fedgrid.gateway.requests.ReleaseRequests;
import dev.fedgrid.security.TlsMaterial;
import io.helidon.common.tls.Tls;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control REST API under {@code /api/v1}, served by Helidon SE on virtual threads: jobs
 * (submit, list, show, cancel, delete, rounds, live events, model download), nodes, datasets,
 * health and the OpenAPI document at {@code /api/v1/openapi.json}; beside it, when the
 * fedgrid-admin-ui jar is on the class path, the admin web app at {@code /admin/} ({@link
 * AdminApp}, public), and with {@link Builder#corsOrigins} cross-origin access for pages served
 * elsewhere ({@link Cors}).
 *
 * <p>Every answer is JSON except the model file ({@code application/octet-stream}, a safetensors
 * file) and the event stream ({@code text/event-stream}). Every failure is a JSON body {@code
 * {"code": ..., "message": ..., "details": {...}}} with the status of its kind: invalid input 400,
 * unauthenticated 401, permission denied 403, not found 404, conflict 409, body too large 413,
 * unavailable 503, anything unexpected 500 with code {@code INTERNAL} (the stack trace goes to the
 * log, never to the client). Unknown paths are 404 {@code ROUTE_NOT_FOUND}; known paths with
 * another method are 405 {@code METHOD_NOT_ALLOWED} with an {@code Allow} header.
 *
 * <p><b>Authentication and authorization.</b> Every route has an {@link Access}. Before the handler
 * of a route that is not {@link Access#PUBLIC} runs, the server reads {@code Authorization: Bearer
 * fgt_…}, authenticates it with {@link IdentityService#authenticate} and registers the resulting
 * {@link Principal} in the request's context ({@link ControlHandlers#principal}); a missing or
 * malformed header is 401 {@code UNAUTHENTICATED}, a bad token 401 with the identity service's
 * code. Then the caller's role must hold one of the route's permissions, else 403 {@code
 * PERMISSION_DENIED}. Every 401 carries {@code WWW-Authenticate: Bearer}; {@code
 * LOGIN_RATE_LIMITED} also carries {@code Retry-After}. Checks that depend on the object (whose
 * job, which dataset grant) are the services' own.
 *
 * <pre>{@code
 * try (ControlServer server = services.controlServer(coordinator).host("127.0.0.1").port(7600).start()) {
 *   System.out.println("control API on port " + server.port());
 *   ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. The server runs until {@link #close()}.
 */
public final class ControlServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
  /** Idle event streams send a comment this often, so proxies do not close them. */
  static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);

  private final WebServer server;
  private final List<Route> routes;

  private ControlServer(WebServer server, List<Route> routes) {
    this.server = server;
    this.routes = routes;
  }

  /**
   * A builder for the gateway's control API serving {@code control}, authenticating callers with
   * {@code identity}, with every governance service: the audit ledger, dataset grants, privacy
   * budgets, release requests (with which the results of jobs on private data are held, {@link
   * HeldResults}) and node join tokens. Outside this package this is the only way to build a
   * control API, so none can be started that serves jobs without holding their results;
   * {@link dev.fedgrid.gateway.GatewayServices#controlServer} calls it with the gateway's services.
   */
  public static Builder builder(
      GatewayControl control, IdentityService identity, AuditLog audit, DatasetAccess datasets, PrivacyBudgets budgets,
      ReleaseRequests releases, JoinTokens joinTokens) {
    return new Builder(control, identity).audit(audit).datasets(datasets).budgets(budgets).releases(releases).joinTokens(joinTokens);
  }

  /**
   * A builder for a narrower control API, for this package's unit tests: only the identity, job,
   * node and dataset routes, plus those of the services then set one by one. Without {@link
   * Builder#releases} the results of jobs on private data are not held, which is why this is not
   * public.
   */
  static Builder builder(GatewayControl control, IdentityService identity) {
    return new Builder(control, identity);
  }

  /**
   * What the control API serves and where; {@link #start()} starts it. Each governance service
   * has a setter here and hands itself to its handlers in {@link ControlServer#routes}; the
   * setters are package-private (for narrow unit tests), and the public {@link
   * ControlServer#builder(GatewayControl, IdentityService, AuditLog, DatasetAccess, PrivacyBudgets,
   * ReleaseRequests, JoinTokens)} sets them all.
   *
   * <p>Not thread-safe; the started server is.
   */
  public static final class Builder {
    private final GatewayControl control;
    private final IdentityService identity;
    private String host = "127.0.0.1";
    private int port = 0;
    private Duration heartbeat = DEFAULT_HEARTBEAT;
    private PrivacyBudgets budgets;
    private ReleaseRequests releases;
    private JoinTokens joinTokens;
    private AuditLog audit;
    private DatasetAccess datasets;
    private Market market;
    private Activities activities;
    private List<String> corsOrigins = List.of();
    private TlsMaterial tls;

    private Builder(GatewayControl control, IdentityService identity) {
      this.control = Objects.requireNonNull(control, "control");
      this.identity = Objects.requireNonNull(identity, "identity");
    }

    /** The address to listen on, such as {@code 127.0.0.1} (the default: only this machine) or {@code 0.0.0.0}. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port, or 0 (the default) for any free port (see {@link ControlServer#port()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
      this.port = port;
      return this;
    }

    /** Privacy budgets and budget requests: {@code /budgets}, {@code /budget-requests}. */
    Builder budgets(PrivacyBudgets budgets) {
      this.budgets = Objects.requireNonNull(budgets, "budgets");
      return this;
    }

    /**
     * Release requests ({@code /release-requests}); with them, the results of jobs on private data
     * are held ({@link HeldResults}).
     */
    Builder releases(ReleaseRequests releases) {
      this.releases = Objects.requireNonNull(releases, "releases");
      return this;
    }

    /** Node join tokens: {@code /nodes/join-tokens}. */
    Builder joinTokens(JoinTokens joinTokens) {
      this.joinTokens = Objects.requireNonNull(joinTokens, "joinTokens");
      return this;
    }

    /** The audit ledger: {@code /audit/events}, {@code /audit/events/stream}, {@code /audit/verify}. */
    Builder audit(AuditLog audit) {
      this.audit = Objects.requireNonNull(audit, "audit");
      return this;
    }

    /** Dataset visibility and grants: {@code PATCH /datasets/{id}}, {@code /datasets/{id}/grants}. */
    Builder datasets(DatasetAccess datasets) {
      this.datasets = Objects.requireNonNull(datasets, "datasets");
      return this;
    }

    /**
     * The compute market and the ledger: {@code /offers}, {@code /demands}, {@code /proposals},
     * {@code /agreements}, {@code /allocations}, {@code /debit-notes}, {@code /invoices}, {@code
     * /ledger}.
     */
    public Builder market(Market market) {
      this.market = Objects.requireNonNull(market, "market");
      return this;
    }

    /** Activities under market agreements: {@code /activities}. */
    public Builder activities(Activities activities) {
      this.activities = Objects.requireNonNull(activities, "activities");
      return this;
    }

    /**
     * The origins whose pages may call the API from a browser (CORS), such as {@code
     * https://admin.example.org}; none (the default) allows only pages the gateway serves itself,
     * such as the admin app at {@code /admin/}.
     *
     * @throws IllegalArgumentException for an origin that is not {@code scheme://host[:port]}, or {@code *}
     */
    public Builder corsOrigins(Collection<String> origins) {
      this.corsOrigins = Cors.origins(origins);
      return this;
    }

    /**
     * Serve HTTPS with {@code tls}'s gateway certificate and key (clients check it against the
     * project CA and the host they dial; they present no certificate); null (the default) serves
     * plain HTTP.
     *
     * @throws dev.fedgrid.api.InvalidRequestException with code {@code INVALID_TLS_MATERIAL} when
     *     {@code tls} holds no gateway (server) certificate
     */
    public Builder tls(TlsMaterial tls) {
      this.tls = tls == null ? null : tls.requireServerAuth();
      return this;
    }

    /** How often idle event streams send a comment (default 15 s). */
    Builder heartbeat(Duration heartbeat) {
      this.heartbeat = Objects.requireNonNull(heartbeat, "heartbeat");
      return this;
    }

    /**
     * Starts the control API.
     *
     * @throws java.io.UncheckedIOException or a Helidon exception when the port cannot be bound
     */
    public ControlServer start() {
      List<Route> routes = routes(this);
      HttpRouting.Builder routing = HttpRouting.builder();
      Cors.of(corsOrigins).ifPresent(routing::addFilter);
      boolean adminApp = AdminApp.present();
      if (adminApp) AdminApp.register(routing);
      for (Route route : routes) routing.route(route.method(), route.path(), guarded(authorized(identity, route)));
      routing.any(guarded((req, res) -> noRoute(routes, req)));
      var web = WebServer.builder().host(host).port(port).shutdownGracePeriod(Duration.ofMillis(500)).routing(routing);
      if (tls != null) web.tls(Tls.builder().privateKey(tls.privateKey()).privateKeyCertChain(tls.chain()).build());
      WebServer server = web.build().start();
      String scheme = tls == null ? "http" : "https";
      LOG.info("control API listening on {}://{}:{}/api/v1{}", scheme, host, server.port(), tls == null ? " (plaintext)" : " (TLS as " + tls + ")");
      if (adminApp) LOG.info("admin app on {}://{}:{}{}/", scheme, host, server.port(), AdminApp.PATH);
      return new ControlServer(server, routes);
    }
  }

  /**
   * The admin app's path, {@code /admin/}, when its files (the fedgrid-admin-ui jar) are on the
   * class path and so served by every control API started here; else empty.
   */
  public static Optional<String> adminAppPath() {
    return AdminApp.present() ? Optional.of(AdminApp.PATH + "/") : Optional.empty();
  }

  /**
   * Checks CORS origins as {@link Builder#corsOrigins} takes them and returns them normalised
   * (lower case, no trailing slash, no repeats).
   *
   * @throws IllegalArgumentException for one that is not {@code scheme://host[:port]}, or {@code *}
   */
  public static List<String> checkCorsOrigins(Collection<String> origins) {
    return Cors.origins(origins);
  }

  /** The port the server is bound to (the chosen one when started with port 0). */
  public int port() {
    return server.port();
  }

  /** Stops accepting requests and closes open connections, event streams included. */
  @Override
  public void close() {
    server.stop();
  }

  /** The registered routes, in registration order. */
  List<Route> routes() {
    return routes;
  }

  /**
   * Every route and who may call it. Access of the job, node and dataset routes (see {@link
   * GatewayControl} and docs/governance.md): submitting needs {@code can_make_data_requests};
   * reading, cancelling and deleting jobs is for any user, and the coordinator shows each caller
   * only the jobs they may see; nodes are for operators and data owners; the catalogue is for
   * every user, filtered by what they may see.
   */
  private static List<Route> routes(Builder s) {
    String b = ControlHandlers.BASE;
    GatewayControl shown = s.releases == null ? s.control : new HeldResults(s.control, s.releases);
    var h = new ControlHandlers(shown, s.heartbeat);
    var id = new IdentityHandlers(s.identity);
    var routes = new ArrayList<Route>(List.of(
        new Route(Method.POST, b + "/login", Access.PUBLIC, id::login),
        new Route(Method.GET, b + "/me", Access.AUTHENTICATED, id::me),
        new Route(Method.GET, b + "/users", Access.permission(Permission.MANAGE_USERS), id::users),
        new Route(Method.POST, b + "/users", Access.permission(Permission.MANAGE_USERS), id::createUser),
        new Route(Method.GET, b + "/users/{name}", Access.AUTHENTICATED, id::user),
        new Route(Method.PATCH, b + "/users/{name}", Access.AUTHENTICATED, id::updateUser),
        new Route(Method.GET, b + "/roles", Access.AUTHENTICATED, id::roles),
        new Route(Method.POST, b + "/roles", Access.permission(Permission.EDIT_ROLES), id::createRole),
        new Route(Method.PUT, b + "/roles/{name}", Access.permission(Permission.EDIT_ROLES), id::updateRole),
        new Route(Method.DELETE, b + "/roles/{name}", Access.permission(Permission.EDIT_ROLES), id::deleteRole),
        new Route(Method.GET, b + "/tokens", Access.AUTHENTICATED, id::tokens),
        new Route(Method.POST, b + "/tokens", Access.AUTHENTICATED, id::createToken),
        new Route(Method.DELETE, b + "/tokens/{id}", Access.AUTHENTICATED, id::revokeToken),
        new Route(Method.POST, b + "/jobs", Access.permission(Permission.MAKE_DATA_REQUESTS), h::submitJob),
        new Route(Method.GET, b + "/jobs", Access.AUTHENTICATED, h::listJobs),
        new Route(Method.GET, b + "/jobs/{id}", Access.AUTHENTICATED, h::job),
        new Route(Method.DELETE, b + "/jobs/{id}", Access.AUTHENTICATED, h::deleteJob),
        new Route(Method.POST, b + "/jobs/{id}/cancel", Access.AUTHENTICATED, h::cancelJob),
        new Route(Method.GET, b + "/jobs/{id}/rounds", Access.AUTHENTICATED, h::rounds),
        new Route(Method.GET, b + "/jobs/{id}/contributions", Access.AUTHENTICATED, h::contributions),
        new Route(Method.GET, b + "/jobs/{id}/events", Access.AUTHENTICATED, h::events),
        new Route(Method.GET, b + "/jobs/{id}/model", Access.AUTHENTICATED, h::model),
        new Route(Method.GET, b + "/jobs/{id}/model/spec", Access.AUTHENTICATED, h::modelSpec),
        new Route(Method.GET, b + "/nodes", NODE_READERS, h::nodes),
        new Route(Method.GET, b + "/nodes/{id}", NODE_READERS, h::node),
        new Route(Method.GET, b + "/datasets", Access.AUTHENTICATED, h::datasets),
        new Route(Method.GET, b + "/datasets/{id}", Access.AUTHENTICATED, h::dataset),
        new Route(Method.GET, b + "/health", Access.PUBLIC, h::health),
        new Route(Method.GET, b + "/openapi.json", Access.PUBLIC, h::openApi)));
    if (s.joinTokens != null) routes.addAll(0, new EnrolmentHandlers(s.joinTokens).routes()); // before /nodes/{id}
    if (s.budgets != null) routes.addAll(new BudgetHandlers(s.budgets).routes());
    if (s.releases != null) routes.addAll(new RequestHandlers(s.control, s.releases).routes());
    if (s.audit != null) routes.addAll(new AuditHandlers(s.audit, s.heartbeat).routes());
    if (s.datasets != null) routes.addAll(new GrantHandlers(s.datasets).routes());
    if (s.market != null) routes.addAll(new MarketHandlers(s.market).routes());
    if (s.activities != null) routes.addAll(new ActivityHandlers(s.activities).routes());
    routes.addAll(new ReportHandlers(new JobReports(shown, s.releases, s.audit, InstantSource.system())).routes());
    return List.copyOf(routes);
  }

  /** 405 when another method serves this path, else 404. */
  private static void noRoute(List<Route> routes, ServerRequest req) {
    String path = req.path().path();
    List<String> allowed = routes.stream().filter(r -> r.matches(path)).map(r -> r.method().text()).distinct().toList();
    if (!allowed.isEmpty()) {
      throw new ApiProblem(
          405,
          "METHOD_NOT_ALLOWED",
          req.prologue().method().text() + " is not allowed on " + path + "; use " + String.join(" or ", allowed),
          Map.of("allowed", allowed));
    }
    throw new ApiProblem(
        404,
        "ROUTE_NOT_FOUND",
        "there is no " + req.prologue().method().text() + " " + path + "; the routes are listed in /api/v1/openapi.json",
        Map.of("path", path));
  }

  /** Who may see the fleet: operators, and data owners whose datasets live on nodes. */
  private static final Access NODE_READERS = Access.anyOf(Permission.MANAGE_INFRASTRUCTURE, Permission.UPLOAD_DATA);

  /**
   * Authenticates the caller of a non-public route, registers the {@link Principal} in the
   * request's context and checks the route's permissions, then runs its handler.
   */
  private static Handler authorized(IdentityService identity, Route route) {
    if (!route.access().authenticated()) return route.handler();
    return (req, res) -> {
      Principal caller = identity.authenticate(bearer(req));
      Set<Permission> anyOf = route.access().anyOf();
      if (!anyOf.isEmpty() && anyOf.stream().noneMatch(caller::has)) {
        String action = "call " + route.method().text() + " " + route.path();
        if (anyOf.size() == 1) throw caller.denied(anyOf.iterator().next(), action);
        List<String> names = anyOf.stream().sorted().map(Permission::wireName).toList();
        throw new PermissionDeniedException(
            "PERMISSION_DENIED",
            "user " + caller.name() + " (role " + caller.role() + ") may not " + action + ": that needs one of the permissions "
                + String.join(", ", names) + "; ask an administrator for a role that has one",
            Map.of("permissions", names, "role", caller.role()));
      }
      req.context().register(caller);
      route.handler().handle(req, res);
    };
  }

  /** The token of an {@code Authorization: Bearer …} header. */
  private static String bearer(ServerRequest req) {
    Optional<String> header = req.headers().first(HeaderNames.AUTHORIZATION);
    if (header.isEmpty()) {
      throw new UnauthenticatedException("UNAUTHENTICATED", "this call needs a token: send 'Authorization: Bearer fgt_…' (log in with `fedgrid login`)");
    }
    String value = header.get().strip();
    if (value.length() < 8 || !value.regionMatches(true, 0, "Bearer ", 0, 7) || value.substring(7).isBlank()) {
      throw new UnauthenticatedException("UNAUTHENTICATED", "the Authorization header must be 'Bearer <token>'");
    }
    return value.substring(7).strip();
  }

  /** Runs a handler and turns whatever it throws into the matching JSON error. */
  private static Handler guarded(Handler handler) {
    return (req, res) -> {
      try {
        handler.handle(req, res);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        LOG.debug("request {} {} interrupted", req.prologue().method().text(), req.path().path());
      } catch (CloseConnectionException e) {
        throw e; // the client went away (EventStream.clientLeft): Helidon drops the connection, no answer can follow
      } catch (Exception e) {
        fail(req, res, e);
      }
    };
  }

  private static void fail(ServerRequest req, ServerResponse res, Exception e) {
    ApiError error = switch (e) {
      case ApiProblem p -> p.error();
      case InternalException f -> {
        LOG.error("{} {} failed: {}", req.prologue().method().text(), req.path().path(), f.code(), f);
        yield ApiError.of(f);
      }
      case FedGridException f -> ApiError.of(f);
      default -> {
        String errorId = UUID.randomUUID().toString();
        LOG.error("{} {} failed unexpectedly (error id {})", req.prologue().method().text(), req.path().path(), errorId, e);
        yield new ApiError(
            500,
            "INTERNAL",
            "the gateway failed unexpectedly; the gateway log has the details under error id " + errorId,
            Map.of("errorId", errorId));
      }
    };
    if (res.isSent()) {
      LOG.warn("{} {} failed after its answer was sent: {}", req.prologue().method().text(), req.path().path(), error.message());
      return;
    }
    res.status(error.status());
    if (error.status() == 401) res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"fedgrid\"");
    if (error.details().get("retryAfterSeconds") instanceof Number seconds) res.header(HeaderNames.RETRY_AFTER, Long.toString(seconds.longValue()));
    if (error.status() == 405 && error.details().get("allowed") instanceof List<?> allowed) {
      res.header(HeaderNames.ALLOW, String.join(", ", allowed.stream().map(String::valueOf).toList()));
    }
    ControlHandlers.json(res, error.body());
  }
}
