package dev.fedgrid.gateway.control;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Cross-origin access to the control API for the origins the gateway was started with ({@code
 * --cors-origin}), so that the admin app can be served from another host. A request whose {@code
 * Origin} is one of them gets {@code Access-Control-Allow-Origin} with that origin (never {@code
 * *}), {@code Access-Control-Expose-Headers} for what the app reads (the model's file name, {@code
 * Retry-After}, {@code WWW-Authenticate}) and {@code Vary: Origin}; its preflight {@code OPTIONS}
 * is answered here with 204 and the allowed methods and headers. No credentials mode: the API
 * takes bearer tokens, never cookies, so {@code Access-Control-Allow-Credentials} is never sent.
 * Requests from other origins pass through without CORS headers, so the browser refuses to show
 * their answers to the page; a preflight from one is 403 {@code CORS_ORIGIN_NOT_ALLOWED}.
 *
 * <p>Only paths under {@link ControlHandlers#BASE} are touched. Thread-safe: immutable.
 */
final class Cors implements Filter {
  static final String ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE";
  static final String ALLOW_HEADERS = "Authorization, Content-Type, Last-Event-ID";
  static final String EXPOSE_HEADERS = "Content-Disposition, Location, Retry-After, WWW-Authenticate";
  private static final HeaderName REQUEST_METHOD = HeaderNames.create("Access-Control-Request-Method");
  private static final String MAX_AGE_SECONDS = "600";

  private final Set<String> origins;

  private Cors(Set<String> origins) {
    this.origins = origins;
  }

  /** A filter for these origins, or empty when there are none (same-origin only). */
  static Optional<Cors> of(Collection<String> origins) {
    return origins.isEmpty() ? Optional.empty() : Optional.of(new Cors(Set.copyOf(origins)));
  }

  /**
   * Checks and normalises one {@code --cors-origin}: {@code scheme://host[:port]}, as a browser
   * sends it in {@code Origin}, lower case, without a path or a trailing slash.
   *
   * @throws IllegalArgumentException saying what an origin looks like
   */
  static String origin(String text) {
    String value = text == null ? "" : text.strip();
    String form = "a CORS origin is scheme://host[:port] as the browser shows it, such as https://admin.example.org or http://127.0.0.1:8000";
    if (value.equals("*")) throw new IllegalArgumentException(form + "; '*' is not accepted: name each origin that may call the control API");
    try {
      URI uri = new URI(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      boolean bare = uri.getRawPath() == null || uri.getRawPath().isEmpty();
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || !bare || uri.getRawQuery() != null || uri.getRawUserInfo() != null) {
        throw new IllegalArgumentException(form + ", not '" + value + "'");
      }
      return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(form + ", not '" + value + "'", e);
    }
  }

  /** Every origin of {@code texts}, checked and normalised, without repeats, in order. */
  static List<String> origins(Collection<String> texts) {
    var out = new ArrayList<String>();
    for (String text : texts) {
      String origin = origin(text);
      if (!out.contains(origin)) out.add(origin);
    }
    return List.copyOf(out);
  }

  @Override
  public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
    if (!req.path().path().startsWith(ControlHandlers.BASE)) {
      chain.proceed();
      return;
    }
    res.header(HeaderNames.VARY, "Origin");
    Optional<String> origin = req.headers().first(HeaderNames.ORIGIN);
    boolean allowed = origin.isPresent() && origins.contains(origin.get());
    boolean preflight = req.prologue().method() == Method.OPTIONS && origin.isPresent() && req.headers().contains(REQUEST_METHOD);
    if (preflight && !allowed) {
      var error = new ApiError(
          403,
          "CORS_ORIGIN_NOT_ALLOWED",
          "the control API does not accept calls from pages of " + origin.get() + "; start the gateway with --cors-origin " + origin.get()
              + " to allow it",
          Map.of("origin", origin.get()));
      res.status(Status.FORBIDDEN_403);
      ControlHandlers.json(res, error.body());
      return;
    }
    if (allowed) {
      res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin.get());
      res.header(HeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE_HEADERS);
    }
    if (preflight) {
      res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS);
      res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS);
      res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECONDS);
      res.status(Status.NO_CONTENT_204);
      res.send();
      return;
    }
    chain.proceed();
  }
}
