package dev.fedgrid.gateway.control;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control REST API under {@code /api/v1}, served by Helidon SE on virtual threads: jobs
 * (submit, list, show, cancel, delete, rounds, live events, model download), nodes, datasets,
 * health and the OpenAPI document at {@code /api/v1/openapi.json}.
 *
 * <p>Every answer is JSON except the model file ({@code application/octet-stream}, a safetensors
 * file) and the event stream ({@code text/event-stream}). Every failure is a JSON body {@code
 * {"code": ..., "message": ..., "details": {...}}} with the status of its kind: invalid input 400,
 * unauthenticated 401, permission denied 403, not found 404, conflict 409, body too large 413,
 * unavailable 503, anything unexpected 500 with code {@code INTERNAL} (the stack trace goes to the
 * log, never to the client). Unknown paths are 404 {@code ROUTE_NOT_FOUND}; known paths with
 * another method are 405 {@code METHOD_NOT_ALLOWED} with an {@code Allow} header.
 *
 * <pre>{@code
 * try (ControlServer server = ControlServer.start(control, "127.0.0.1", 7600)) {
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
   * Starts the control API.
   *
   * @param control what the API serves
   * @param host the address to listen on, such as {@code 127.0.0.1} (only this machine) or {@code
   *     0.0.0.0} (every interface)
   * @param port the port, or 0 for any free port (see {@link #port()})
   * @return the started server
   * @throws java.io.UncheckedIOException or a Helidon exception when the port cannot be bound
   */
  public static ControlServer start(GatewayControl control, String host, int port) {
    return start(control, host, port, DEFAULT_HEARTBEAT);
  }

  /** As {@link #start(GatewayControl, String, int)}, with the event streams' heartbeat interval. */
  static ControlServer start(GatewayControl control, String host, int port, Duration heartbeat) {
    Objects.requireNonNull(control, "control");
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65_535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
    List<Route> routes = routes(new ControlHandlers(control, heartbeat));
    HttpRouting.Builder routing = HttpRouting.builder();
    for (Route route : routes) routing.route(route.method(), route.path(), guarded(route.handler()));
    routing.any(guarded((req, res) -> noRoute(routes, req)));
    WebServer server =
        WebServer.builder()
            .host(host)
            .port(port)
            .shutdownGracePeriod(Duration.ofMillis(500))
            .routing(routing)
            .build()
            .start();
    LOG.info("control API listening on http://{}:{}/api/v1", host, server.port());
    return new ControlServer(server, routes);
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

  private static List<Route> routes(ControlHandlers h) {
    String b = ControlHandlers.BASE;
    return List.of(
        new Route(Method.POST, b + "/jobs", Access.AUTHENTICATED, h::submitJob),
        new Route(Method.GET, b + "/jobs", Access.AUTHENTICATED, h::listJobs),
        new Route(Method.GET, b + "/jobs/{id}", Access.AUTHENTICATED, h::job),
        new Route(Method.DELETE, b + "/jobs/{id}", Access.AUTHENTICATED, h::deleteJob),
        new Route(Method.POST, b + "/jobs/{id}/cancel", Access.AUTHENTICATED, h::cancelJob),
        new Route(Method.GET, b + "/jobs/{id}/rounds", Access.AUTHENTICATED, h::rounds),
        new Route(Method.GET, b + "/jobs/{id}/events", Access.AUTHENTICATED, h::events),
        new Route(Method.GET, b + "/jobs/{id}/model", Access.AUTHENTICATED, h::model),
        new Route(Method.GET, b + "/jobs/{id}/model/spec", Access.AUTHENTICATED, h::modelSpec),
        new Route(Method.GET, b + "/nodes", Access.AUTHENTICATED, h::nodes),
        new Route(Method.GET, b + "/nodes/{id}", Access.AUTHENTICATED, h::node),
        new Route(Method.GET, b + "/datasets", Access.AUTHENTICATED, h::datasets),
        new Route(Method.GET, b + "/datasets/{id}", Access.AUTHENTICATED, h::dataset),
        new Route(Method.GET, b + "/health", Access.PUBLIC, h::health),
        new Route(Method.GET, b + "/openapi.json", Access.PUBLIC, h::openApi));
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

  /** Runs a handler and turns whatever it throws into the matching JSON error. */
  private static Handler guarded(Handler handler) {
    return (req, res) -> {
      try {
        handler.handle(req, res);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        LOG.debug("request {} {} interrupted", req.prologue().method().text(), req.path().path());
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
    if (error.status() == 405 && error.details().get("allowed") instanceof List<?> allowed) {
      res.header(HeaderNames.ALLOW, String.join(", ", allowed.stream().map(String::valueOf).toList()));
    }
    ControlHandlers.json(res, error.body());
  }
}
